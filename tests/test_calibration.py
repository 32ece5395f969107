"""The calibration build: deterministic, reproduces the committed tables, and checks its sources."""

import filecmp
import json

import numpy as np
import pandas as pd
import pytest

from calibration import build as calibration_build
from calibration.sources import REPO, Shared, SourceError, number_in_text


def _build_into(folder, shared):
    shared_inputs = Shared(shared)
    result = calibration_build.build(shared_inputs)
    calibration_build.write(result, folder, shared_inputs)
    return folder


@pytest.mark.slow
def test_build_is_deterministic_and_matches_the_committed_tables(tmp_path, shared):
    first = _build_into(tmp_path / "a", shared)
    second = _build_into(tmp_path / "b", shared)
    committed = REPO / "calibration" / "data"
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in first.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert not mismatch and not errors
    stale = [name for name in names if not _same_table(first / name, committed / name)]
    assert not stale, f"committed tables are stale; rerun python -m calibration.build: {stale}"


def _same_table(built, committed, rtol=1e-10):
    """Equal text, or (NumPy and BLAS builds may print a different last digit) equal to ``rtol``."""
    if filecmp.cmp(built, committed, shallow=False):
        return True
    if built.suffix == ".json":  # the manifest: same inputs and outputs (output hashes follow the digits)
        a, b = json.loads(built.read_text()), json.loads(committed.read_text())
        a["outputs"], b["outputs"] = sorted(a["outputs"]), sorted(b["outputs"])
        return a == b
    a, b = pd.read_csv(built), pd.read_csv(committed)
    if list(a.columns) != list(b.columns):
        return False
    keys = [c for c in a.columns if not pd.api.types.is_numeric_dtype(a[c])]
    a, b = a.set_index(keys), b.set_index(keys)
    if a.index.has_duplicates or b.index.has_duplicates:
        return a.equals(b)
    # rows of round-off size (1e-18) may be present in one build and absent in the other: align, fill 0
    a, b = a.align(b, join="outer", fill_value=0.0)
    for column in a.columns:
        x, y = a[column].to_numpy(float), b[column].to_numpy(float)
        scale = float(np.nanmax(np.abs(y))) if np.isfinite(y).any() else 0.0
        if not np.allclose(x, y, rtol=rtol, atol=rtol * scale, equal_nan=True):
            return False
    return True


def test_a_failed_build_writes_nothing(tmp_path, shared, monkeypatch):
    out = tmp_path / "out"

    def boom(*args, **kwargs):
        raise ValueError("injected failure")

    monkeypatch.setattr(calibration_build, "build_targets", boom)
    assert calibration_build.main(["--shared", str(shared), "--out", str(out)]) == 1
    assert not out.exists()
    assert not list(tmp_path.glob(".build-*"))


def test_number_must_appear_on_its_seed_line(shared):
    s = Shared(shared)
    assert number_in_text(13.04, s.seed_line("004_df6b69c72b5b8701.txt:L21"))
    assert not number_in_text(13.05, s.seed_line("004_df6b69c72b5b8701.txt:L21"))
    assert number_in_text(30000, "近3万张床位")
    with pytest.raises(SourceError):
        s.seed_line("004_df6b69c72b5b8701.txt:L99999")


def test_missing_shared_folder_is_reported(tmp_path):
    with pytest.raises(SourceError, match="SIMCORE_SHARED"):
        Shared(tmp_path)
