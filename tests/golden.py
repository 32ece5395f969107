"""The golden baseline table: key variables of ``scenarios/baseline.yaml``.

Regenerate only on purpose, after a change to the model or the baseline that is meant to move results:

    python tests/golden.py --regenerate
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "golden" / "baseline.csv"
VARIABLES = (
    "GDP",
    "Value Added|Manufacturing",
    "Value Added|Tertiary",
    "Investment|Fixed Assets",
    "Energy Consumption",
    "Energy Intensity|GDP",
    "Emissions|CO2",
    "Carbon Intensity|GDP",
)


def golden_frame():
    sys.path.insert(0, str(HERE.parent))
    import simcore

    table = simcore.run(HERE.parent / "scenarios" / "baseline.yaml").to_frame()
    return table[table["variable"].isin(VARIABLES)].drop(columns=["model"]).reset_index(drop=True)


if __name__ == "__main__":
    if "--regenerate" not in sys.argv:
        raise SystemExit(__doc__)
    golden_frame().to_csv(GOLDEN, index=False, float_format="%.12g", lineterminator="\n")
    print(f"wrote {GOLDEN}")
