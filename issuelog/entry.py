"""The `issuelog` program: Tab completion from a small cache, `check`, `render` and `git-hook` as
hooks and CI call them (`cli/every_commit.py`), everything else through `cli/app.py`.

Kept free of typer and of the core's heavy modules: a Tab key press is answered before they
would have finished loading.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Console entry point."""
    if os.environ.get("_ISSUELOG_COMPLETE"):
        _complete()
    from issuelog.cli.every_commit import run_without_typer

    run_without_typer(sys.argv[1:])
    from issuelog.cli.app import main as cli_main

    cli_main()


def _complete() -> None:
    """Answer a completion request and exit; return only when typer must answer it."""
    from issuelog.cli.completion import COMPLETE_VAR, REFRESH, answer, request, write_cache
    from issuelog.core.config import load_project
    from issuelog.errors import IssuelogError

    try:
        config = load_project()
    except (IssuelogError, OSError):
        return  # outside a project: typer completes the commands and options
    if os.environ[COMPLETE_VAR] == REFRESH:
        from issuelog.cli.app import completion_table

        write_cache(config, completion_table())
        sys.exit(0)
    if request(os.environ) is None:
        return
    result = answer(os.environ, config)
    if result is None:  # no cache yet, or made by other code: build it once, slowly
        from issuelog.cli.app import completion_table

        write_cache(config, completion_table())
        result = answer(os.environ, config)
    if result is None:
        return
    text, code = result
    sys.stdout.write(text + ("\n" if text else ""))
    sys.stdout.flush()
    sys.exit(code)
