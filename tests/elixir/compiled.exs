# Uses the modules elixirc compiled from tests/elixir/lib (their directory is on the path
# through -pa).
{:ok, s} = Toolchain.Stack.start_link([1, 2])
Toolchain.Stack.push(s, :top)
IO.inspect([Toolchain.Stack.pop(s), Toolchain.Stack.pop(s), Toolchain.Stack.pop(s), Toolchain.Stack.pop(s)])
IO.inspect(%Toolchain.Item{value: 42})
IO.inspect(Code.ensure_loaded?(Toolchain.Item))
