# Structs, protocols (consolidation off in scripts), behaviours, with, pipes.
defmodule Shape.Circle do
  defstruct r: 1
end

defmodule Shape.Square do
  defstruct side: 1
end

defprotocol Area do
  def area(shape)
end

defimpl Area, for: Shape.Circle do
  def area(%{r: r}), do: Float.round(3.14159 * r * r, 3)
end

defimpl Area, for: Shape.Square do
  def area(%{side: s}), do: s * s
end

defimpl String.Chars, for: Shape.Square do
  def to_string(%{side: s}), do: "square(#{s})"
end

defmodule Main do
  # Structs are expanded at compile time: used from a module compiled after theirs.
  def run do
    shapes = [%Shape.Circle{r: 2}, %Shape.Square{side: 3}, %Shape.Circle{}]
    IO.inspect(Enum.map(shapes, &Area.area/1))
    IO.inspect(shapes)
    IO.puts("#{%Shape.Square{side: 5}}")
    IO.inspect(%Shape.Circle{r: 7} |> Map.from_struct())
    IO.inspect(Area.impl_for(%Shape.Square{}))

    result =
      with {:ok, a} <- {:ok, 1},
           {:ok, b} <- {:error, :nope} do
        a + b
      else
        {:error, why} -> {:failed, why}
      end

    IO.inspect(result)

    try do
      Area.area(:atom)
    rescue
      e in Protocol.UndefinedError -> IO.puts(Exception.message(e))
    end
  end
end

defmodule Greeter do
  @callback greet(String.t()) :: String.t()
end

defmodule Hello do
  @behaviour Greeter
  @impl true
  def greet(name), do: "hello, #{name}"
end

IO.puts(Hello.greet("world"))
IO.inspect(Hello.__info__(:functions))
Main.run()
