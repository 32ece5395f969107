"""The calibration build: deterministic, reproduces the committed tables, and checks its sources."""

import filecmp

import pytest

from calibration import build as calibration_build
from calibration.sources import REPO, Shared, SourceError, number_in_text


def _build_into(folder, shared):
    shared_inputs = Shared(shared)
    result = calibration_build.build(shared_inputs)
    calibration_build.write(result, folder, shared_inputs)
    return folder


def test_build_is_deterministic_and_matches_the_committed_tables(tmp_path, shared):
    first = _build_into(tmp_path / "a", shared)
    second = _build_into(tmp_path / "b", shared)
    committed = REPO / "calibration" / "data"
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in first.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert not mismatch and not errors
    match, mismatch, errors = filecmp.cmpfiles(first, committed, names, shallow=False)
    assert not mismatch, f"committed tables are stale; rerun python -m calibration.build: {mismatch}"


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
