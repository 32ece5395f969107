"""The one dotted-path helper: ``"energy.efficiency.industry"`` <-> nested keys.

A part made of digits is a year and becomes an ``int`` (``grid_emission_factor.values.2035``), as YAML
reads it; every reader and writer of dotted paths (overrides, sweeps, goal seeking, the calibration
layer) goes through :func:`split` and :func:`tree`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def key(part: str, years: bool = True) -> Any:
    """One part of a dotted path: an ``int`` for a year (all digits), else the text."""
    return int(part) if years and part.isdigit() else part


def split(dotted: str, years: bool = True) -> tuple:
    """``"a.b.2035"`` -> ``("a", "b", 2035)``."""
    return tuple(key(part, years) for part in str(dotted).split("."))


def join(parts) -> str:
    """``("a", "b", 2035)`` -> ``"a.b.2035"``."""
    return ".".join(str(part) for part in parts)


def tree(values: Mapping[str, Any], years: bool = True) -> dict:
    """Nested mappings from dotted paths: ``{"a.b": 1, "a.c": 2}`` -> ``{"a": {"b": 1, "c": 2}}``."""
    out: dict = {}
    for dotted, value in values.items():
        parts = split(dotted, years)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out
