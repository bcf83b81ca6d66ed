# Kernel, pattern matching, strings, Enum, Stream, ranges, comprehensions, sigils.
IO.puts("hello #{1 + 1}")
{a, [b | rest]} = {1, [2, 3, 4]}
IO.inspect({a, b, rest})
IO.inspect(Enum.map(1..5, &(&1 * &1)))
IO.inspect(Enum.reduce(1..100, 0, &+/2))
IO.inspect(1..20 |> Stream.filter(&(rem(&1, 3) == 0)) |> Stream.map(&(&1 * 2)) |> Enum.take(4))
IO.inspect(for x <- 1..3, y <- [:a, :b], do: {x, y})
IO.inspect(Enum.group_by(~w(apple avocado banana cherry), &String.first/1))
IO.inspect(String.split("a,b,,c", ","))
IO.inspect(String.upcase("héllo wörld"))
IO.inspect(String.graphemes("añb"))
IO.inspect(Enum.sort_by([%{n: 3}, %{n: 1}, %{n: 2}], & &1.n))
IO.inspect(Map.merge(%{a: 1, b: 2}, %{b: 3, c: 4}))
IO.inspect(Keyword.get([x: 1, y: 2], :y))
IO.inspect(Integer.to_string(255, 16))
IO.inspect(:math.pow(2, 10))
IO.inspect(Float.round(3.14159, 2))
IO.inspect(Enum.zip([1, 2, 3], [:a, :b, :c]) |> Map.new())
IO.inspect(Stream.unfold(1, fn n -> {n, n * 2} end) |> Enum.take(8))
IO.inspect(Enum.chunk_every(1..7, 3))
IO.inspect(List.to_tuple([1, 2]), label: "tuple")
IO.puts(inspect(self()) =~ "#PID")
case Integer.parse("42abc") do
  {n, rest} -> IO.puts("parsed #{n} rest #{rest}")
end
try do
  raise ArgumentError, "boom"
rescue
  e in ArgumentError -> IO.puts("rescued: " <> Exception.message(e))
end
IO.inspect(try do throw(:x) catch :throw, v -> v end)
IO.puts(String.duplicate("=", 10))
