"""The command line's errors: what the user gave is wrong (exit 2), training diverged (exit 3)."""

from __future__ import annotations

import contextlib

import click


class BadInput(click.ClickException):
    """A problem with what the user gave (a file, a dataset, a value): one line, exit code 2."""

    exit_code = 2


class Diverged(click.ClickException):
    """Training stopped on a NaN or infinite loss: exit code 3."""

    exit_code = 3


@contextlib.contextmanager
def user_errors():
    """Turns the library's errors about user input into a one-line message and exit code 2."""
    try:
        yield
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as error:
        raise BadInput(str(error)) from None
