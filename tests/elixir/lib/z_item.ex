defmodule Toolchain.Item do
  @moduledoc "A struct another file of the same elixirc run uses (compiled first, on demand)."
  defstruct value: nil, tags: []

  defimpl Inspect do
    def inspect(%{value: v}, _opts), do: "#Item<#{Kernel.inspect(v)}>"
  end
end
