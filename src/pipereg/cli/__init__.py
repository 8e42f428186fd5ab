"""The ``pipereg`` command: lint, format, inspect, render, run, test, diff, explain, profile,
import, document, type, schema.

Exit codes: 0 ok, 1 lint findings (or a failed run), 2 usage or input error. Errors are one line
each on stderr, never a traceback. One module per command family; ``app`` holds the group.
"""

from pipereg.cli import (
    diff,
    docs,
    explain,
    fmt,
    import_,
    lint,
    profile,
    run,
    schema,
    show,
    stubs,
    test,
)
from pipereg.cli.app import main

main.add_command(lint.lint)
main.add_command(show.list_)
main.add_command(show.show)
main.add_command(run.render)
main.add_command(run.run)
main.add_command(diff.diff)
main.add_command(explain.explain)
main.add_command(profile.profile)
main.add_command(docs.docs)
main.add_command(fmt.fmt)
main.add_command(stubs.stubs)
main.add_command(test.test)
main.add_command(import_.import_)
main.add_command(schema.schema)

__all__ = ["main"]
