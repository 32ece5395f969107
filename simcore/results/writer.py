"""Writer (moved from simcore/results.py)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_files(out: Path) -> Iterator[callable]:
    """Yield ``path_for(name)`` giving temporary paths; on success all files are moved into ``out``.

    On any error every temporary file is removed and nothing in ``out`` changes.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".simcore-", dir=out))
    names: list[str] = []

    def path_for(name: str) -> Path:
        names.append(name)
        return staging / name

    try:
        yield path_for
        for name in names:
            os.replace(staging / name, out / name)
    finally:
        for leftover in staging.glob("*"):
            leftover.unlink()
        staging.rmdir()


def write_results(table: pd.DataFrame, prov: dict, out: Path, stem: str = "results") -> list[Path]:
    with atomic_files(out) as path_for:
        names = stage_results(path_for, table, prov, stem)
    return [out / name for name in names]


def stage_results(path_for, table: pd.DataFrame, prov: dict, stem: str) -> list[str]:
    """Write ``<stem>.csv``, ``.parquet`` and ``.provenance.json`` inside an :func:`atomic_files` block."""
    names = [f"{stem}.csv", f"{stem}.parquet", f"{stem}.provenance.json"]
    table.to_csv(path_for(names[0]), index=False, float_format="%.10g", lineterminator="\n")
    table.to_parquet(path_for(names[1]), index=False)
    path_for(names[2]).write_text(json.dumps(prov, indent=2, ensure_ascii=False) + "\n")
    return names
