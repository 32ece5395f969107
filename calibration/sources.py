"""Locations and readers for the raw inputs of the calibration build.

Only the calibration build reads ``../shared``; the installed package reads the
derived tables in ``calibration/data`` alone.  The shared folder is found from
``$SIMCORE_SHARED`` or, by default, ``../shared`` next to the repository.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from simcore.errors import (
    SourceError,  # one home for every error type (re-exported here)
)

REPO = Path(__file__).resolve().parents[1]
INPUTS = REPO / "calibration" / "inputs"
OUTPUT = REPO / "calibration" / "data"
CODELISTS = REPO / "simcore" / "data"

SEED_FILES = {
    "eco_city": "000_b419e9495f24859f.txt",
    "binhai": "001_bf4eef6031b05164.txt",
    "dongli": "002_e9f05942d0bc52b1.txt",
    "jinnan": "003_2a1d2901a796a2d8.txt",
    "ziya": "004_df6b69c72b5b8701.txt",
}
FACT_FILES = {
    "eco_city": "000_eco_city.csv",
    "binhai": "001_binhai.csv",
    "dongli": "002_dongli.csv",
    "jinnan": "003_jinnan.csv",
    "ziya": "004_ziya.csv",
}

_CITATION = re.compile(r"^(?P<file>\d{3}_[0-9a-f]{16}\.txt):L(?P<line>\d+)$")


def default_shared() -> Path:
    env = os.environ.get("SIMCORE_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Shared:
    """The raw shared inputs, read lazily and recorded for the build manifest."""

    root: Path
    used: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.root / "data").is_dir() or not (self.root / "seeds").is_dir():
            raise SourceError(
                f"shared inputs not found at {self.root}: set SIMCORE_SHARED to the folder "
                "holding data/, seeds/ and seed_facts/"
            )

    def _path(self, relative: str) -> Path:
        path = self.root / relative
        if not path.is_file():
            raise SourceError(f"missing shared input {relative}")
        self.used.setdefault(relative, sha256(path))
        return path

    def csv(self, relative: str, **kwargs) -> pd.DataFrame:
        return pd.read_csv(self._path(relative), **kwargs)

    def nbs_io(self, name: str) -> pd.DataFrame:
        return self.csv(f"data/nbs_io/{name}", dtype={"Code": str})

    def ceads(self, year: int) -> pd.DataFrame:
        return self.csv(f"data/ceads/tianjin_{year}_co2_sector_fuel.csv")

    @cached_property
    def external(self) -> pd.DataFrame:
        return self.csv("data/external_stats_to_2020.csv", dtype=str)

    @cached_property
    def external_2021(self) -> pd.DataFrame:
        """The 2021-2024 outturn (same columns plus ``confidence`` A/B/C)."""
        return self.csv("data/external_stats_2021_2024.csv", dtype=str)

    def seed_lines(self, seed_file: str) -> list[str]:
        text = self._path(f"seeds/{seed_file}").read_text(encoding="utf-8")
        return text.split("\n")

    def seed_line(self, citation: str) -> str:
        """Text of ``<file>:L<n>`` (1-based line numbers, as the seed facts use)."""
        match = _CITATION.match(citation)
        if not match:
            raise SourceError(f"not a seed citation: {citation!r}")
        lines = self.seed_lines(match["file"])
        number = int(match["line"])
        if not 1 <= number <= len(lines):
            raise SourceError(f"{citation}: line outside the file ({len(lines)} lines)")
        return lines[number - 1]

    def seed_facts(self, region: str) -> pd.DataFrame:
        return self.csv(f"seed_facts/{FACT_FILES[region]}", dtype=str)


_NUMBER_WORDS = {"千亿": 1000.0, "百亿": 100.0, "百强": 100.0, "Ⅳ": 4.0, "IV类": 4.0}


def number_in_text(value: float, text: str) -> bool:
    """Whether ``value`` is written in ``text``.

    Commas and spaces are ignored; a number written with 万 (10^4) counts for its
    multiple (``3万`` is 30000), and a few number words (千亿, 百亿, 百强, Ⅳ) count
    for their value.
    """
    plain = text.replace(",", "").replace("，", "").replace(" ", "")
    candidates = []
    for found, wan in re.findall(r"(\d+(?:\.\d+)?)(万?)", plain):
        candidates.append(float(found) * (1e4 if wan else 1.0))
        candidates.append(float(found))
    candidates += [v for word, v in _NUMBER_WORDS.items() if word in plain]
    return any(abs(c - value) <= 1e-9 * max(1.0, abs(value)) for c in candidates)


def expand_codes(spec: str, width: int) -> list[str]:
    """``"012-040;097"`` -> ``["012", ..., "040", "097"]``."""
    codes: list[str] = []
    for part in str(spec).split(";"):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-")
            codes.extend(f"{i:0{width}d}" for i in range(int(lo), int(hi) + 1))
        else:
            codes.append(f"{int(part):0{width}d}")
    return codes
