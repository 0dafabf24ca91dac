"""One module per sub-command, each with `add_parser(subparsers)` and `run(args) -> int`.

cli.py finds them here (sorted by name), so adding a command is adding a file.
"""
