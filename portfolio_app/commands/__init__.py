"""Flask commands, one module per group; `cli.register` adds them to the app."""
