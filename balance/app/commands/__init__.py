"""One module per ``balance`` subcommand: ``register(subparsers)`` and ``run(args) -> int``."""
