# GenServer, Agent, Task, Registry, receive, links and monitors.
defmodule Counter do
  use GenServer
  def start_link(n), do: GenServer.start_link(__MODULE__, n, name: __MODULE__)
  def bump(by), do: GenServer.call(__MODULE__, {:bump, by})
  def value, do: GenServer.call(__MODULE__, :value)
  @impl true
  def init(n), do: {:ok, n}
  @impl true
  def handle_call({:bump, by}, _from, n), do: {:reply, n + by, n + by}
  def handle_call(:value, _from, n), do: {:reply, n, n}
  @impl true
  def handle_cast(:reset, _n), do: {:noreply, 0}
end

{:ok, _} = Counter.start_link(10)
IO.inspect(Counter.bump(5))
GenServer.cast(Counter, :reset)
IO.inspect(Counter.value())

{:ok, agent} = Agent.start_link(fn -> [] end)
Enum.each(1..5, fn i -> Agent.update(agent, &[i | &1]) end)
IO.inspect(Agent.get(agent, &Enum.reverse/1))

tasks = for i <- 1..10, do: Task.async(fn -> i * i end)
IO.inspect(Task.await_many(tasks))
IO.inspect(Task.async_stream(1..5, &(&1 + 100)) |> Enum.to_list())

{:ok, _} = Registry.start_link(keys: :unique, name: MyRegistry)
{:ok, _} = Registry.register(MyRegistry, "alpha", :meta)
IO.inspect(Registry.lookup(MyRegistry, "alpha") |> Enum.map(fn {_pid, v} -> v end))
IO.inspect(Registry.keys(MyRegistry, self()))

parent = self()
pid = spawn(fn -> receive do {:ping, from} -> send(from, :pong) end end)
send(pid, {:ping, parent})
receive do
  :pong -> IO.puts("pong")
after
  5000 -> IO.puts("timeout")
end

# The process waits to be told to exit: monitored before it can end (else `:noproc`).
pid = spawn(fn -> receive do :go -> exit(:bye) end end)
ref = Process.monitor(pid)
send(pid, :go)
receive do
  {:DOWN, ^ref, :process, _, reason} -> IO.inspect(reason, label: "down")
end

Process.flag(:trap_exit, true)
linked = spawn_link(fn -> exit(:linked_exit) end)
receive do
  {:EXIT, ^linked, reason} -> IO.inspect(reason, label: "exit")
end

{:ok, sup} = Supervisor.start_link([{Agent, fn -> 0 end}], strategy: :one_for_one)
IO.inspect(Supervisor.count_children(sup))
