"""The provenance record written next to every result: model, version, scenario layers, seed, baseline
checksum, years and library versions."""

from __future__ import annotations

from simcore import __version__
from simcore.baseline.tables import Baseline
from simcore.results.table import MODEL
from simcore.scenario.schema import YEARS


def provenance(b: Baseline, scenario, seed: int | None, extra: dict | None = None) -> dict:
    from importlib.metadata import version

    info = {
        "model": MODEL,
        "version": __version__,
        "scenario": scenario.name,
        "description": scenario.description,
        "layers": list(scenario.layers),
        "seed": seed,
        "baseline_checksum": b.checksum,
        "years": [YEARS[0], YEARS[-1]],
        "versions": {name: version(name) for name in ("numpy", "scipy", "pandas", "numba")},
    }
    return info | (extra or {})
