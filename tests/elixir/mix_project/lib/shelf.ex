defmodule Shelf do
  @moduledoc """
  A shelf of books kept by an Agent under the application's supervisor.

      iex> Shelf.title_case("the hobbit")
      "The Hobbit"
  """

  @doc "Adds a book; returns how many books are on the shelf."
  def add(title), do: Agent.get_and_update(__MODULE__, &{length(&1) + 1, [title | &1]})

  def titles, do: Agent.get(__MODULE__, &Enum.sort/1)

  def title_case(s), do: s |> String.split() |> Enum.map_join(" ", &String.capitalize/1)
end

defmodule Shelf.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      %{id: Shelf, start: {Agent, :start_link, [fn -> [] end, [name: Shelf]]}},
      {Registry, keys: :duplicate, name: Shelf.Readers},
      {Task.Supervisor, name: Shelf.Tasks}
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Shelf.Supervisor)
  end
end

defmodule Shelf.CLI do
  @moduledoc false
  # The escript `mix escript.build` makes (an archive of this application and Elixir's).
  def main(args) do
    IO.inspect(args)
    IO.puts(Shelf.title_case(Enum.join(args, " ")))
    IO.inspect(Shelf.add("x"))
    IO.inspect(:escript.script_name() |> Path.basename())
  end
end
