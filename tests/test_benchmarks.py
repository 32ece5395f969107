"""The benchmark suite's logic (never its timings): agreement checks, target assessment, comparison."""

from __future__ import annotations

import json
import re

import pytest

import benchmarks.__main__ as bench
from benchmarks import cases


def _timing(case, size, impl, seconds, **notes):
    return cases.Timing(case, size, impl, seconds, seconds, seconds, 1, notes=notes)


def test_leontief_case_checks_agreement_and_reports_every_implementation():
    out = cases.leontief(sizes=(12, 24), batch=5, repeats=1)
    impls = {t.implementation for t in out}
    assert {
        "scipy LU + numba block solve",
        "numpy per-rhs loop",
        "LAPACK dgesv (one call)",
        "simcore.leontief_solve",
    } <= impls
    assert all(t.min_s <= t.median_s <= t.max_s for t in out)
    assert {t.size for t in out} >= {"n=12, 5 rhs", "n=24, 5 rhs"}
    # the same useful FLOP count for every implementation of a case
    for size in {t.size for t in out}:
        assert len({t.flops for t in out if t.size == size}) == 1
    ratios = bench._ratios(out)
    assert ratios[("leontief batch", "n=12, 5 rhs", "LAPACK dgesv (one call)")] == 1.0
    assert ratios[("leontief single", "n=12, 1 rhs", "LAPACK dgesv (one call)")] == 1.0


def _timings(mc_seconds, warm_seconds, per_s, help_seconds=0.05):
    return [
        _timing("monte carlo", "real size: n=132, 100000 draws x 16 years", "numba batch kernel", mc_seconds),
        _timing("monte carlo", "real size: n=132, 100000 draws x 16 years", "numpy vectorised twin", 3 * mc_seconds),
        _timing("monte carlo", "real size: n=132, 100000 draws x 16 years", "numpy per-draw loop", 10 * mc_seconds),
        _timing("leontief batch", "n=500, 1000 rhs", "LAPACK dgesv (one call)", 1.0),
        _timing("leontief batch", "n=500, 1000 rhs", "simcore.leontief_solve", 2.5),
        _timing("start", "simcore run scenarios/baseline.yaml", "warm (cached kernels)", warm_seconds),
        _timing("start", "simcore --help", "no model imported", help_seconds),
        _timing("sweep", "10000 scenarios", "local, 2 workers", 10_000 / per_s, scenarios_per_s=per_s),
        _timing(
            "memory",
            "simcore mc plan_14th_fyp --draws 100000 (end to end)",
            "simcore mc (CLI)",
            2 * mc_seconds,
            peak_rss_mb=1200.0,
        ),
        _timing(
            "distributed",
            "simcore mc plan_14th_fyp --draws 1000000 --engine dask --workers 2 (sketch)",
            "simcore mc (CLI, dask)",
            100 * mc_seconds,
            peak_tree_rss_mb=1000.0 * mc_seconds,
            excluded_draws=3,
        ),
    ]


def test_assess_reports_each_target_met_or_missed_from_the_measurements():
    timings = _timings(mc_seconds=2.5, warm_seconds=2.5, per_s=1000.0)
    rows = {row["target"]: row for row in bench.assess(timings, bench._ratios(timings))}
    assert rows[bench.TARGETS[0]]["met"] and rows[bench.TARGETS[0]]["value"] == "2.50 s"
    assert rows[bench.TARGETS[1]]["met"] is False  # 10x the loop, 20x required
    assert rows[bench.TARGETS[2]]["met"]  # 3x the twin
    assert rows[bench.TARGETS[3]]["met"] is False  # 2.5x the LAPACK dgesv time
    assert rows[bench.TARGETS[4]]["met"] is False  # warm run 2.5 s, 1 s required
    assert rows[bench.TARGETS[5]]["met"]  # help in 0.05 s
    assert rows[bench.TARGETS[6]]["met"] and rows[bench.TARGETS[6]]["note"] == ""
    assert rows[bench.TARGETS[7]]["met"] and rows[bench.TARGETS[7]]["value"] == "5.0 s, peak 1.17 GB"
    dask = rows[bench.TARGETS[8]]
    assert dask["met"] and dask["value"] == "250 s, peak 2.44 GB" and dask["note"] == "3 failed draws excluded"
    slow = _timings(mc_seconds=3.5, warm_seconds=0.8, per_s=500.0, help_seconds=0.5)  # 20 s for 10^4
    rows = {row["target"]: row for row in bench.assess(slow, bench._ratios(slow))}
    assert rows[bench.TARGETS[0]]["met"] is False and rows[bench.TARGETS[4]]["met"]
    assert rows[bench.TARGETS[5]]["met"] is False
    assert rows[bench.TARGETS[6]]["met"] is False
    assert rows[bench.TARGETS[7]]["met"] is False  # 7 s end to end
    assert rows[bench.TARGETS[8]]["met"] is False  # 3.4 GB


def test_compare_reads_two_reports_and_flags_changes(tmp_path, capsys):
    def report(seconds):
        return {
            "mode": "quick",
            "machine": {"cpu": "test cpu"},
            "cases": [
                {"case": "leontief batch", "size": "n=42, 200 rhs", "implementation": "numba", "median_s": seconds}
            ],
        }

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(report(1.0)))
    new.write_text(json.dumps(report(2.0)))
    assert bench.main(["--compare", str(old), "--against", str(new)]) == 0
    out = capsys.readouterr().out
    assert "2.00  slower" in out
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(SystemExit, match="bad.json: not a benchmark.json"):
        bench.main(["--compare", str(tmp_path / "bad.json"), "--against", str(new)])


def test_targets_not_measured_are_reported_as_not_run():
    rows = bench.assess([], {})
    assert [row["met"] for row in rows] == [None] * len(bench.TARGETS)
    assert all(row["value"] == "not run" for row in rows)


def test_a_quick_run_does_not_predict_the_sweep_target():
    """Small sweeps do not scale linearly to 10^4 (the old fit predicted 0.2-0.7 min, 1.6 min was measured)."""
    timings = [
        _timing("sweep", "400 scenarios", "local, 2 workers", 9.0, scenarios_per_s=400 / 9.0),
        _timing("sweep", "1200 scenarios", "local, 2 workers", 17.0, scenarios_per_s=1200 / 17.0),
    ]
    row = bench._sweep_target(timings)
    assert row["met"] is None and row["value"] == "not run"


@pytest.mark.parametrize(
    "seconds, text", [(2.5e-6, "2.5 µs"), (0.00042, "420 µs"), (0.0123, "12.3 ms"), (1.5, "1.5 s"), (75.0, "75 s")]
)
def test_times_are_printed_with_their_unit(seconds, text):
    assert bench.format_time(seconds) == text


def test_an_unstable_case_is_flagged_and_columns_never_run_together(capsys):
    steady = cases.Timing("leontief batch", "n=42, 200 rhs", "numba", 0.010, 0.0099, 0.0102, 5)
    shaky = cases.Timing(
        "leontief batch", "n=42, 200 rhs " + "x" * 60, "a very long implementation name", 0.010, 0.008, 0.050, 5
    )
    bench.print_table([steady, shaky], {}, peak=10.0)
    lines = capsys.readouterr().out.splitlines()
    assert "UNSTABLE: spread 420% > 25%" in lines[2] and "UNSTABLE" not in lines[1]
    assert "x" * 60 in lines[2] and "a very long implementation name" in lines[2]  # nothing cut
    header = lines[0]
    for name in ("median", "min - max", "spread"):  # every column starts after the one before ends
        assert f"  {name}" in header or header.startswith(name)


def test_compare_gives_no_verdict_on_a_noisy_case(tmp_path, capsys):
    def report(median, low, high):
        case = {"case": "monte carlo", "size": "s", "implementation": "k", "median_s": median}
        return {"mode": "quick", "machine": {"cpu": "c"}, "cases": [case | {"min_s": low, "max_s": high, "repeats": 3}]}

    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(report(1.0, 0.98, 1.02)))
    new.write_text(json.dumps(report(0.5, 0.04, 0.6)))  # a 40 ms outlier among the repeats
    bench.main(["--compare", str(old), "--against", str(new)])
    out = capsys.readouterr().out
    assert "no verdict" in out and "faster" not in out


def test_the_replicated_benchmark_system_passes_the_kernel_boundary(baseline):
    """The regions x4 case tiles the system; its arrays must still match the declared boundary."""
    from benchmarks import cases
    from simcore.model.boundary import Draws, allocate_for, kernel_args

    system, paths = cases._model(2)
    R, n = system.pop0.shape[0], system.v.shape[0]
    draws = Draws.central(paths, R)
    kernel_args(system, paths, draws, allocate_for(1, R, n // R, paths.fai.shape[1]))


def test_each_case_shows_its_start_and_end_unless_quiet(tmp_path, capsys, monkeypatch):
    def fake(**_):
        return [_timing("leontief batch", "n=4, 1 rhs", "numba", 0.001)]

    monkeypatch.setattr(bench, "RUNNERS", {"leontief": fake, "start": fake})
    monkeypatch.setattr(bench, "QUICK", {"leontief": {}, "start": {}})
    monkeypatch.setattr(bench, "dgemm_peak", lambda n: 10.0)
    assert bench.main(["--quick", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert lines[0] == "[1/2] leontief ..." and lines[2] == "[2/2] start ..."
    assert re.fullmatch(r"\[1/2\] leontief: 1 timings in \d+\.\d s \(\d+ s so far\)", lines[1])
    assert "[1/2]" not in captured.out and "numba" in captured.out  # the table stays on stdout, alone
    assert bench.main(["--quick", "--quiet", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "[1/2]" not in captured.err and "numba" in captured.out
