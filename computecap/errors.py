"""The exception family of computecap. CLI commands turn each into one line and exit 1."""

from __future__ import annotations


class ComputecapError(Exception):
    """Base class: any error computecap raises on purpose."""


class SpecNotFoundError(ComputecapError, KeyError):
    """An unknown chip, scenario, company, model preset or rule set name."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SpecValidationError(ComputecapError, ValueError):
    """A spec file (bundled or user) is malformed or has an invalid field."""


class UnitsError(SpecValidationError):
    """A quantity has the wrong dimension, no unit, or cannot be parsed."""


class InputError(ComputecapError, ValueError):
    """An argument to a computation is out of its valid range."""


class OutputError(ComputecapError, OSError):
    """A result could not be written where asked."""
