"""The ``pipereg`` command line.

Its commands lint, format, inspect, render, run, test, diff, explain, profile, import,
document, type and write the schema.

Exit codes: 0 ok, 1 lint findings (or a failed run), 2 usage or input error. Errors are one line
each on stderr, never a traceback. One module per command family; ``app`` holds the group, which
imports a command's module when the command runs (``app.COMMANDS``).
"""

from pipereg.cli.app import main

__all__ = ["main"]
