"""The command line: typer commands that parse arguments, call the core and print."""
