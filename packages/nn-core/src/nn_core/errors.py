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
