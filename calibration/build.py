"""Build the derived 2020 baseline tables from the raw shared inputs.

Usage::

    python -m calibration.build [--shared PATH] [--out DIR]

Reads ``../shared`` (or ``$SIMCORE_SHARED``) and ``calibration/inputs/``; writes
``calibration/data/``.  The build is deterministic: the same inputs give
byte-identical tables.  Nothing is written unless every step succeeds.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simcore.baseline import regionalise as regional
from simcore.baseline.regionalise import VA_NAMES

from . import districts, energy, labour
from .facts import Estimate, load_facts
from .history import build_history, build_history_table
from .national_io import FINAL_DEMAND, build_national_io, proxy_weights
from .sources import CODELISTS, INPUTS, OUTPUT, Shared, SourceError, default_shared, sha256
from .targets import build_targets

BUILD_VERSION = "1"
LEAVES = districts.LEAVES
UNIT_CNY = "100 million CNY_2020"
UNIT_TCE = "10^4 tce"
UNIT_CO2 = "Mt CO2"
UNIT_PERSONS = "10^4 persons"
FLOAT = "%.15g"

#: relative half-width of the structure uncertainty of a sector's value added
STRUCTURE_UNCERTAINTY = 0.35
PINNED_UNCERTAINTY = 0.05


def _codelists() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sectors = pd.read_csv(CODELISTS / "sectors.csv", dtype=str)
    regions = pd.read_csv(CODELISTS / "regions.csv", dtype={"lat": float, "lon": float})
    aggregates = pd.read_csv(CODELISTS / "aggregates.csv", dtype=str)
    return sectors, regions, aggregates


def _exact_aggregates(aggregates: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    return {a.id: tuple(a.members.split(";")) for a in aggregates.itertuples() if a.kind == "exact"}


class Rows:
    """Collects rows of the long accounts table."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(
        self,
        region: str,
        sector: str,
        variable: str,
        unit: str,
        value: float,
        quality: str,
        low: float,
        high: float,
        source: str,
    ) -> None:
        if quality == "estimated" and (math.isnan(low) or math.isnan(high)):
            raise ValueError(f"{region}/{sector}/{variable}: an estimated figure needs a range")
        self.rows.append((region, sector, variable, unit, value, quality, low, high, source))

    def add_estimate(self, region: str, sector: str, variable: str, unit: str, e: Estimate) -> None:
        self.add(region, sector, variable, unit, e.value, e.quality, e.low, e.high, e.source)

    def frame(self) -> pd.DataFrame:
        cols = ["region", "sector", "variable", "unit", "value", "quality", "low", "high", "source"]
        return pd.DataFrame(self.rows, columns=cols)


def build(shared: Shared) -> dict[str, pd.DataFrame | dict]:
    sectors, regions, aggregates = _codelists()
    sector_ids = tuple(sectors["id"])
    exact = _exact_aggregates(aggregates)
    facts = load_facts(shared)
    io = build_national_io(shared, sectors)

    history_table = build_history_table(shared)
    gdp = districts.estimate_gdp(facts, history_table)
    binhai_tertiary = districts.binhai_tertiary_share(history_table)
    pop = districts.population(facts)
    fai = districts.fixed_investment(facts, gdp)
    constraints = districts.structure_constraints(facts, gdp, sectors, exact, binhai_tertiary)
    national_share = io.VA.sum(axis=0) / io.VA.sum()
    va = districts.fit_structure(districts.prior_structure(national_share, sectors, gdp), constraints, sectors)

    # final demand totals by region (all origins), 100 million CNY
    national_gdp = io.VA.sum()
    national_final = (io.Fd + io.Fm).sum(axis=0)
    tianjin_gdp = facts["tianjin_gdp"].value
    pop_v = np.array([pop[r].value for r in LEAVES])
    gdp_v = np.array([gdp[r].value for r in LEAVES])
    fai_v = np.array([fai[r].value for r in LEAVES])
    # labour: jobs by workplace and sector, residents' workers and commuting (calibration/labour.py)
    job_rows = labour.jobs_by_region(LEAVES, pop, gdp, facts)
    jobs_v = np.array([job_rows[r][0] for r in LEAVES])
    comp_share = io.VA[VA_NAMES.index("compensation")] / io.VA.sum(axis=0)
    wages = pd.read_csv(INPUTS / "wages_2020.csv")
    sector_jobs = labour.jobs_by_sector(jobs_v, va, comp_share, labour.sector_wages(wages, sector_ids))
    commute, participation = labour.commuting(jobs_v, pop_v)
    # compensation earned by each leaf's residents: what its jobs pay, shared by who holds them
    comp_work = va @ comp_share  # by workplace
    holders = commute * (participation * pop_v)[:, None]  # workers of q in r
    comp_residents = (holders / holders.sum(axis=0, keepdims=True)) @ comp_work  # by residence
    totals = np.zeros((len(LEAVES), len(FINAL_DEMAND)))
    for k, name in enumerate(FINAL_DEMAND):
        ratio = national_final[k] / national_gdp
        if name == "household":  # on residents' compensation (issue 11: no leaf consumes more than it earns)
            totals[:, k] = ratio * tianjin_gdp * comp_residents / comp_residents.sum()
        elif name == "government":
            totals[:, k] = ratio * tianjin_gdp * pop_v / pop_v.sum()
        elif name == "inventory":
            totals[:, k] = ratio * gdp_v
    totals[:, FINAL_DEMAND.index("gfcf")] = facts["gfcf_to_fai"].value * fai_v

    coords = regions.set_index("id").loc[list(LEAVES)]
    distance = regional.haversine_km(coords["lat"].to_numpy(), coords["lon"].to_numpy())
    reg = regional.regionalise(
        io,
        LEAVES,
        va,
        totals,
        distance,
        facts["flegg_delta"].value,
        facts["gravity_decay"].value,
        tradable=(sectors["tradable"] == "yes").to_numpy(),
        rpc=(facts["nontradable_rpc_tianjin"].value, facts["nontradable_rpc_district"].value),
    )
    acc = regional.accounts(reg)
    worst = np.abs(regional.balance_residual(acc)).max()
    if worst > 1e-9:
        raise ValueError(f"regional accounts do not balance (worst relative residual {worst:.2e})")

    # energy: CEADs by year; "Others" split by Tianjin output of the services it holds
    others = ["ict", "finance", "real_estate", "business_services", "public_services"]
    go_tj = reg.GO.sum(axis=0)
    split = {
        "Others": np.array([go_tj[sector_ids.index(s)] for s in others])
        / sum(go_tj[sector_ids.index(s)] for s in others)
    }
    inventories = {y: energy.inventory(shared, y, sector_ids, split) for y in energy.CEADS_YEARS}
    growth = facts["tianjin_energy_growth_2020"].value / 100
    inv2020 = energy.scale(inventories[2019], 1.0 + growth, 2020)

    rows = Rows()
    _account_rows(rows, reg, acc, va, gdp, constraints, sector_ids, io, facts)
    energy_table = _energy_rows(rows, reg, acc, inv2020, pop, sector_ids, facts)
    _region_rows(rows, gdp, pop, fai, job_rows)
    _control_rows(rows, facts)
    accounts_table = rows.frame().sort_values(["region", "sector", "variable"], kind="stable")

    weights = proxy_weights(
        shared, sectors, {a.id: a.members.removeprefix("nbs153:") for a in aggregates.itertuples() if a.kind == "proxy"}
    )
    targets, dropped = build_targets(shared)
    co2_totals = {y: float(inv.co2.sum() + inv.process_co2.sum()) for y, inv in inventories.items()}
    co2_totals[2020] = float(inv2020.co2.sum() + inv2020.process_co2.sum())
    history = build_history(shared, co2_totals)
    parameters = _parameter_table(facts, io)

    tables = {
        "accounts_2020.csv": accounts_table,
        "mrio_coefficients_2020.csv": _coefficient_table(reg),
        "final_demand_shares_2020.csv": _final_share_table(reg),
        "national_io_2020.csv": _national_table(io),
        "energy_co2_tianjin.csv": _inventory_table(inventories, inv2020, facts),
        "emission_factors.csv": energy.fuel_table(),
        "aggregate_weights.csv": _weights_table(weights, sector_ids),
        "parameters.csv": parameters,
        "targets.csv": targets,
        "history.csv": history_table,
        "history_metrics.csv": history,
        "gdp_2020_evidence.csv": _evidence_table(facts, history_table, gdp, binhai_tertiary),
        "labour_2020.csv": labour.labour_table(LEAVES, sector_ids, sector_jobs, commute, participation, job_rows),
    }
    report = {
        "build_version": BUILD_VERSION,
        "dropped_seed_targets": dropped,
        "flq_row_scaled": int((reg.row_scale < 1 - 1e-12).sum()),
        "energy_table_rows": len(energy_table),
    }
    return {"tables": tables, "report": report}


def _evidence_table(facts, history_table, gdp, binhai_tertiary) -> pd.DataFrame:
    """Each piece of evidence on the estimated 2020 levels, with the value it implies (docs/data.md)."""
    rows = []
    evidence = districts.gdp_evidence(facts, history_table)
    evidence["jinnan"] = [e for e in districts.backcasts(history_table, "jinnan")]
    evidence["jinghai"] = districts.backcasts(history_table, "jinghai")
    for region, items in evidence.items():
        for e in items:
            rows.append(
                (
                    region,
                    "gdp",
                    e.method,
                    e.kind,
                    e.value,
                    e.sd if math.isfinite(e.sd) else math.nan,
                    e.confidence,
                    math.nan,
                    math.nan,
                )
            )
    for region in ("binhai", "dongli", "jinnan"):
        g = gdp[region]
        rows.append(
            (
                region,
                "gdp",
                "combined estimate (accounts_2020.csv)",
                "combined",
                g.value,
                math.nan,
                "estimated",
                g.low,
                g.high,
            )
        )
    rows.append(
        (
            "binhai",
            "tertiary_share_pct",
            binhai_tertiary.source,
            "combined",
            binhai_tertiary.value,
            math.nan,
            "estimated",
            binhai_tertiary.low,
            binhai_tertiary.high,
        )
    )
    return pd.DataFrame(
        rows, columns=["region", "variable", "method", "kind", "implied_2020", "log_sd", "confidence", "low", "high"]
    )


def _relative_range(e: Estimate) -> float:
    if math.isnan(e.low):
        return 0.0
    return (e.high - e.low) / 2 / e.value


def _va_uncertainty(constraints, sector_ids) -> np.ndarray:
    """Structure uncertainty per cell: small where a single-sector constraint pins the cell."""
    u = np.full((len(LEAVES), len(sector_ids)), STRUCTURE_UNCERTAINTY)
    for c in constraints:
        if len(c.regions) == 1 and len(c.sectors) == 1:
            u[LEAVES.index(c.regions[0]), sector_ids.index(c.sectors[0])] = PINNED_UNCERTAINTY
    return u


def _account_rows(rows, reg, acc, va, gdp, constraints, sector_ids, io, facts) -> None:
    u_struct = _va_uncertainty(constraints, sector_ids)
    dep_share = io.VA[VA_NAMES.index("depreciation")] / io.VA.sum(axis=0)
    dep_avg = io.VA[VA_NAMES.index("depreciation")].sum() / io.VA.sum()
    kappa = facts["capital_output_ratio"]
    sources = {
        "value_added": "derived: IPF of national value-added shares x structure_priors.csv onto leaf GDP, "
        "Tianjin's published strata and the seeds' structure figures (docs/data.md)",
        "gross_output": "derived: value added / national value-added ratio (NBS 2020 IO)",
        "intermediate_use": "derived: gross output x national total input coefficients (NBS 2020 IO)",
        "household_consumption": "derived: national household consumption/GDP x Tianjin GDP, by residents' "
        "compensation of employees (labour_2020.csv commuting), national product mix",
        "government_consumption": "derived: national government consumption/GDP x Tianjin GDP, by population, "
        "national product mix",
        "gfcf": "derived: gfcf_to_fai x fixed-asset investment, national GFCF product mix",
        "inventory_change": "derived: national inventory change/GDP x leaf GDP, national product mix",
        "exports_outside": "derived: row residual of the regionalised system (nested FLQ, docs/data.md)",
        "exports_other_districts": "derived: nested FLQ purchase shares with gravity among districts",
        "statistical_discrepancy": "derived: row residual of a non-tradable (no buyer in the data; docs/data.md)",
        "imports_outside": "derived: total input coefficients minus purchases inside Tianjin",
        "imports_other_districts": "derived: nested FLQ purchase shares with gravity among districts",
    }
    for r, region in enumerate(LEAVES):
        u_gdp = _relative_range(gdp[region])
        for s, sector in enumerate(sector_ids):
            u = min(0.95, math.hypot(u_gdp, u_struct[r, s]))
            for variable, values in acc.items():
                v = float(values[r, s])
                lo, hi = sorted((v * (1 - u), v * (1 + u)))
                rows.add(region, sector, variable, UNIT_CNY, v, "estimated", lo, hi, sources[variable])
            k = kappa.value * va[r, s] * dep_share[s] / dep_avg
            rows.add(
                region,
                sector,
                "capital_stock",
                UNIT_CNY,
                k,
                "estimated",
                k * kappa.low / kappa.value * (1 - u),
                k * kappa.high / kappa.value * (1 + u),
                f"derived: capital-output ratio {kappa.value} ({kappa.low}-{kappa.high}) x value added, "
                "by national depreciation intensity (NBS 2020 IO VA003)",
            )


def _energy_rows(rows, reg, acc, inv, pop, sector_ids, facts) -> list[tuple]:
    """District energy (coal / oil / gas / non-fossil / electricity inflow) and CO2 by sector."""
    R, S = reg.GO.shape
    go_tj = reg.GO.sum(axis=0)
    energy_g = energy.by_group(inv, inv.energy)  # (S+1, 3)
    co2_g = energy.by_group(inv, inv.co2)
    power = sector_ids.index("power_heat")
    power_energy_per_output = energy_g[power].sum() / go_tj[power]  # 10^4 tce per 100 million CNY
    inflow, inflow_h = regional.electricity_inflow(reg, power, power_energy_per_output)
    fossil_total = energy_g.sum()
    share = facts["nonfossil_share_2020"]
    nonfossil_total = share.value / (100 - share.value) * (fossil_total + inflow.sum() + inflow_h.sum())
    pop_v = np.array([pop[r].value for r in LEAVES])
    src_fossil = (
        "derived: CEADs Tianjin 2019 scope-1 CO2 by sector and fuel / IPCC 2006 emission factors, "
        "x (1 - 1.7%) for 2020; district share by gross output (same intensity in every district)"
    )
    src_h = src_fossil.replace("by gross output (same intensity in every district)", "by residents")
    src_inflow = (
        "derived: purchases of power from outside Tianjin (regionalised IO) x the local power "
        "sector's energy per unit of output"
    )
    src_nonfossil = (
        f"estimated: non-fossil share {share.value}% ({share.low}-{share.high}%) of 2020 energy use, "
        "in the power sector by its output"
    )
    out = []
    for r, region in enumerate(LEAVES):
        go_share = np.divide(reg.GO[r], go_tj, out=np.zeros(S), where=go_tj > 0)
        pop_share = pop_v[r] / pop_v.sum()
        for s, sector in enumerate(list(sector_ids) + ["households"]):
            w = pop_share if sector == "households" else go_share[s]
            rel = 0.15 if sector == "households" else 0.4
            for g, group in enumerate(energy.FUEL_GROUPS):
                e = energy_g[s, g] * w
                c = co2_g[s, g] * w
                rows.add(
                    region,
                    sector,
                    f"energy_{group}",
                    UNIT_TCE,
                    e,
                    "estimated",
                    e * (1 - rel),
                    e * (1 + rel),
                    src_h if sector == "households" else src_fossil,
                )
                rows.add(
                    region,
                    sector,
                    f"co2_{group}",
                    UNIT_CO2,
                    c,
                    "estimated",
                    c * (1 - rel),
                    c * (1 + rel),
                    src_h if sector == "households" else src_fossil,
                )
                out.append((region, sector, group, e, c))
            p = inv.process_co2[s] * w
            if sector != "households" and inv.process_co2[s] > 0:
                rows.add(
                    region,
                    sector,
                    "co2_process",
                    UNIT_CO2,
                    p,
                    "estimated",
                    p * (1 - rel),
                    p * (1 + rel),
                    "derived: CEADs Tianjin 2019 process (cement) CO2 x (1 - 1.7%); district share by output",
                )
            e_in = inflow_h[r] if sector == "households" else inflow[r, s]
            rows.add(
                region,
                sector,
                "energy_electricity_inflow",
                UNIT_TCE,
                e_in,
                "estimated",
                e_in * 0.5,
                e_in * 1.5,
                src_inflow,
            )
        nf = nonfossil_total * go_share[power]
        rows.add(
            region,
            "power_heat",
            "energy_nonfossil",
            UNIT_TCE,
            nf,
            "estimated",
            nf * share.low / share.value,
            nf * share.high / share.value,
            src_nonfossil,
        )
    return out


def _region_rows(rows, gdp, pop, fai, job_rows) -> None:
    for region in LEAVES:
        rows.add_estimate(region, "total", "gdp", UNIT_CNY, gdp[region])
        rows.add_estimate(region, "total", "population", UNIT_PERSONS, pop[region])
        rows.add_estimate(region, "total", "fixed_asset_investment", UNIT_CNY, fai[region])
        value, low, high, source = job_rows[region]
        rows.add(region, "total", "employment", UNIT_PERSONS, value, "estimated", low, high, source)


def _control_rows(rows, facts) -> None:
    """Published totals the leaves must reproduce."""
    for key, variable, unit in (
        ("tianjin_gdp", "gdp", UNIT_CNY),
        ("tianjin_va_primary", "va_primary", UNIT_CNY),
        ("tianjin_va_secondary", "va_secondary", UNIT_CNY),
        ("tianjin_va_tertiary", "va_tertiary", UNIT_CNY),
        ("tianjin_population", "population", UNIT_PERSONS),
    ):
        f = facts[key]
        rows.add("tianjin", "total", variable, unit, f.value, f.quality, f.low, f.high, f.source)
    b = facts["binhai_population"]
    rows.add("binhai", "total", "population", UNIT_PERSONS, b.value / 1e4, "published", math.nan, math.nan, b.source)
    f = facts["binhai_fai"]
    rows.add("binhai", "total", "fixed_asset_investment", UNIT_CNY, f.value, "published", math.nan, math.nan, f.source)


def _coefficient_table(reg) -> pd.DataFrame:
    R, S = len(reg.regions), len(reg.sectors)
    A4 = reg.A.reshape(R, S, R, S)
    fr, fs, tr, ts = np.nonzero(A4)
    inside = pd.DataFrame(
        {
            "from_region": np.array(reg.regions)[fr],
            "from_sector": np.array(reg.sectors)[fs],
            "to_region": np.array(reg.regions)[tr],
            "to_sector": np.array(reg.sectors)[ts],
            "value": A4[fr, fs, tr, ts],
        }
    )
    M = reg.M_out.reshape(S, R, S)
    fs, tr, ts = np.nonzero(M)
    outside = pd.DataFrame(
        {
            "from_region": "outside",
            "from_sector": np.array(reg.sectors)[fs],
            "to_region": np.array(reg.regions)[tr],
            "to_sector": np.array(reg.sectors)[ts],
            "value": M[fs, tr, ts],
        }
    )
    return pd.concat([inside, outside], ignore_index=True)


def _final_share_table(reg) -> pd.DataFrame:
    fr, tr, s, k = np.nonzero(reg.F_share)
    inside = pd.DataFrame(
        {
            "from_region": np.array(reg.regions)[fr],
            "to_region": np.array(reg.regions)[tr],
            "sector": np.array(reg.sectors)[s],
            "category": np.array(FINAL_DEMAND)[k],
            "share": reg.F_share[fr, tr, s, k],
        }
    )
    out_share = 1.0 - reg.F_share.sum(axis=0)  # (R_to, S, K)
    tr, s, k = np.nonzero(out_share[:, :, :-1] > 1e-15)
    outside = pd.DataFrame(
        {
            "from_region": "outside",
            "to_region": np.array(reg.regions)[tr],
            "sector": np.array(reg.sectors)[s],
            "category": np.array(FINAL_DEMAND)[k],
            "share": out_share[tr, s, k],
        }
    )
    return pd.concat([inside, outside], ignore_index=True)


def _national_table(io) -> pd.DataFrame:
    sectors = list(io.sectors)
    parts = []
    for block, matrix, columns in (
        ("domestic", io.Zd, sectors),
        ("imports", io.Zm, sectors),
        ("domestic", io.Fd, list(FINAL_DEMAND)),
        ("imports", io.Fm, list(FINAL_DEMAND)),
    ):
        r, c = np.nonzero(matrix)
        parts.append(
            pd.DataFrame(
                {"block": block, "row": np.array(sectors)[r], "column": np.array(columns)[c], "value": matrix[r, c]}
            )
        )
    for i, name in enumerate(VA_NAMES):
        parts.append(pd.DataFrame({"block": "value_added", "row": name, "column": sectors, "value": io.VA[i]}))
    parts.append(pd.DataFrame({"block": "gross_output", "row": "gross_output", "column": sectors, "value": io.GO}))
    table = pd.concat(parts, ignore_index=True)
    table["unit"] = "10^4 CNY"
    table["source"] = "NBS 2020 IO table, 42 products (split with the 153-product table), aggregated to simcore sectors"
    return table


def _inventory_table(inventories, inv2020, facts) -> pd.DataFrame:
    parts = []
    for inv in list(inventories.values()) + [inv2020]:
        s, f = np.nonzero(inv.co2)
        source = (
            f"CEADs Tianjin {inv.year} inventory"
            if inv.year != 2020
            else "CEADs Tianjin 2019 x (1 + Tianjin 2020 energy change -1.7%, "
            + facts["tianjin_energy_growth_2020"].source
            + ")"
        )
        part = pd.DataFrame(
            {
                "year": inv.year,
                "sector": np.array(inv.sectors)[s],
                "fuel": np.array(inv.fuels)[f],
                "co2_mt": inv.co2[s, f],
                "energy_10k_tce": inv.energy[s, f],
            }
        )
        proc = np.nonzero(inv.process_co2)[0]
        part = pd.concat(
            [
                part,
                pd.DataFrame(
                    {
                        "year": inv.year,
                        "sector": np.array(inv.sectors)[proc],
                        "fuel": "Process",
                        "co2_mt": inv.process_co2[proc],
                        "energy_10k_tce": 0.0,
                    }
                ),
            ],
            ignore_index=True,
        )
        part["quality"] = "derived"
        part["source"] = source
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _weights_table(weights, sector_ids) -> pd.DataFrame:
    rows = [(agg, s, float(w[i])) for agg, w in weights.items() for i, s in enumerate(sector_ids) if w[i] > 0]
    table = pd.DataFrame(rows, columns=["aggregate", "sector", "weight"])
    table["source"] = "derived: share of the sector's national 2020 value added in the proxy's NBS 153 products"
    return table


def _parameter_table(facts, io) -> pd.DataFrame:
    rows = [(f.key, f.value, f.unit, f.quality, f.low, f.high, f.source, f.note) for f in facts.values()]
    ratios = (io.Fd + io.Fm).sum(axis=0) / io.VA.sum()
    for name, ratio in zip(FINAL_DEMAND, ratios):
        rows.append(
            (
                f"national_{name}_to_gdp",
                float(ratio),
                "ratio",
                "derived",
                math.nan,
                math.nan,
                "derived: NBS 2020 IO final demand column / total value added",
                "",
            )
        )
    return pd.DataFrame(rows, columns=["key", "value", "unit", "quality", "low", "high", "source", "note"])


def write(result: dict, out: Path, shared: Shared) -> None:
    """Write every table into ``out`` atomically (a temporary folder swapped in)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    tmp.chmod(0o755)
    try:
        manifest = {"build_version": BUILD_VERSION, "inputs": dict(sorted(shared.used.items())), "outputs": {}}
        for name, table in result["tables"].items():
            path = tmp / name
            table.to_csv(path, index=False, float_format=FLOAT, lineterminator="\n")
            manifest["outputs"][name] = sha256(path)
        manifest["report"] = result["report"]
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if out.exists():
            backup = out.with_name(out.name + ".old")
            out.rename(backup)
            tmp.rename(out)
            shutil.rmtree(backup)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calibration.build", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None, help="folder holding data/, seeds/, seed_facts/")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="output folder (default calibration/data)")
    args = parser.parse_args(argv)
    try:
        shared = Shared(args.shared or default_shared())
        result = build(shared)
        write(result, args.out, shared)
    except (SourceError, ValueError) as exc:
        print(f"calibration build failed: {exc}", file=sys.stderr)
        return 1
    for name in result["tables"]:
        print(f"wrote {args.out / name}")
    if result["report"]["dropped_seed_targets"]:
        print(
            f"note: {len(result['report']['dropped_seed_targets'])} seed targets dropped "
            "(number not on the cited line); see manifest.json"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
