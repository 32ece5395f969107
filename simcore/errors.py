"""Exception types of simcore."""

from __future__ import annotations


class SimcoreError(Exception):
    """Base class of every error simcore raises on purpose."""


class BaselineError(SimcoreError):
    """The committed baseline tables are missing, inconsistent or fail a check."""


class SolverError(SimcoreError):
    """A numerical kernel reported failure (singular system, non-finite result)."""
