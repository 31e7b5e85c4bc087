"""The one error type of the command line: a user-facing failure with a one-line reason."""

from __future__ import annotations


class CliError(Exception):
    """A command failed for a reason the user can act on; printed as one line, exit status 2."""
