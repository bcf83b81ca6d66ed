defmodule Shelf.MixProject do
  use Mix.Project

  def project do
    [
      app: :shelf,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: true,
      deps: [],
      escript: [main_module: Shelf.CLI]
    ]
  end

  def application do
    [extra_applications: [:logger], mod: {Shelf.Application, []}]
  end
end
