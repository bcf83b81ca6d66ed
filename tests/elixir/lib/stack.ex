defmodule Toolchain.Stack do
  @moduledoc "A stack as a GenServer: compiled by elixirc (Kernel.ParallelCompiler)."
  use GenServer
  alias Toolchain.Item

  def start_link(items), do: GenServer.start_link(__MODULE__, items)
  def push(pid, x), do: GenServer.cast(pid, {:push, %Item{value: x}})
  def pop(pid), do: GenServer.call(pid, :pop)

  @impl true
  def init(items), do: {:ok, Enum.map(items, &%Item{value: &1})}
  @impl true
  def handle_call(:pop, _from, [%Item{value: v} | rest]), do: {:reply, v, rest}
  def handle_call(:pop, _from, []), do: {:reply, nil, []}
  @impl true
  def handle_cast({:push, item}, items), do: {:noreply, [item | items]}
end
