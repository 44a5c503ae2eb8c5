"""Errors nn reports to users: each renders as one line that names the problem.

The CLI prints ``str(error)`` and exits non-zero; a traceback appears only
with ``--debug``. Anything that is not an :class:`NNError` reaching the CLI is
a bug in nn or a plugin, and is reported as such.
"""

from __future__ import annotations


class NNError(Exception):
    """Base of every error meant for the user."""

    exit_code = 1


class PluginError(NNError):
    """A plugin failed to load, registered something invalid, or clashed."""


class UnknownComponentError(NNError, LookupError):
    """A name no installed plugin provides."""


class DataError(NNError):
    """Data could not be loaded: the message names the file and line."""


class TrainingError(NNError):
    """Training cannot go on (non-finite loss, no backend, ...)."""


class ModelFileError(NNError):
    """A model file is missing, truncated, corrupted or not an nn model."""


def exception_line(exc: BaseException) -> str:
    """``Type: first line of the message`` — one line for any exception.

    A plugin's exception may carry a multi-line message (a chained error's
    text, a numpy repr); nn's reports about it stay one line, and
    ``nn --debug`` shows the whole exception.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
