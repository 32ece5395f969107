"""Every exception type simcore raises on purpose; all derive from :class:`SimcoreError`.

The command line catches :class:`SimcoreError` and prints its message without a traceback, so a
message must name what went wrong and where (file, line, key, value and the rule it broke).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SimcoreError(Exception):
    """Base class of every error simcore raises on purpose."""


class BaselineError(SimcoreError):
    """The committed baseline tables are missing, inconsistent or fail a check."""


class CodelistError(BaselineError):
    """A codelist (``regions.csv``, ``sectors.csv``) is malformed, or a code is not in it."""


class SolverError(SimcoreError):
    """A numerical kernel reported failure (singular system, non-finite result)."""


class ProjectionError(SolverError):
    """A projection produced a number that cannot be written: non-finite, or a negative energy use, CO2
    emission or output.  ``where`` lists ``(draw, year, region, variable, value)`` of the first offenders."""

    def __init__(self, message: str, where: list[tuple] | None = None):
        self.where = list(where or [])
        super().__init__(message)


class ResultsError(SimcoreError):
    """A result table broke its contract (duplicate or missing keys, a non-finite value)."""


class OutputError(SimcoreError):
    """An output folder cannot be written (not a folder, not writable, an output set half there)."""


class ReportError(SimcoreError):
    """A report cannot be made as asked (a --compare file that does not exist, fewer than one draw, two
    scenarios of the same name)."""


class VintageError(SimcoreError):
    """A vintage outside the history, or a history that has nothing up to it."""


class NoActualsError(SimcoreError):
    """The history has no published figure after the vintage that the model can be compared with."""


class SourceError(SimcoreError):
    """A raw input of the calibration build is missing or does not say what the build relies on."""


class UnitError(SimcoreError):
    """A unit cannot be parsed or converted (pint not installed, a unit not defined, incompatible units such
    as yuan at current and at 2020 prices), or a registry disagrees with ``simcore/data/units.txt``."""


@dataclass(frozen=True)
class Issue:
    """One problem of an input file: where it is, what is wrong, what was found and what is expected."""

    file: str
    line: int
    path: str
    problem: str
    got: Any
    expected: str
    column: int = 0  # 1-based, where known (bytes that are not UTF-8, control characters)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.line and self.column:
            where += f":{self.column}"
        return f"{where}: {self.path or '<root>'}: {self.problem}; got {_show(self.got)}, expected {self.expected}"


#: the most issues a :class:`ScenarioError` message lists; the rest are counted ("and N more")
MAX_ISSUES_SHOWN = 50


class ScenarioError(SimcoreError):
    """A scenario (or sweep) file failed to load or validate; ``issues`` lists every problem.

    The message lists the first :data:`MAX_ISSUES_SHOWN` and counts the rest, so that a file with a
    million bad keys gives a readable message, not a million lines (``issues`` keeps them all).
    """

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        shown = self.issues[:MAX_ISSUES_SHOWN]
        lines = "\n".join(f"  {issue}" for issue in shown)
        if len(self.issues) > len(shown):
            lines += f"\n  ... and {len(self.issues) - len(shown)} more"
        super().__init__(f"{len(self.issues)} problem(s) in the scenario:\n{lines}")


def _show(value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        import yaml

        text = yaml.safe_dump(_plain(value), default_flow_style=True, width=1000).strip()
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if k != "kind"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
