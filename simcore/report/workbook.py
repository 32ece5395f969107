"""The report's tables as an Excel workbook (openpyxl): an ``about`` sheet with the provenance, then one
sheet per table, each with a bold, frozen header row and columns sized to their contents."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simcore.analysis.targets import REPORT_COLUMNS
from simcore.report.content import Report

#: the columns of ``simcore targets`` (less the 2020 bridge and the met flag, which the status says), then
#: the report's own (the demand shift a share target asks for, the Monte Carlo columns), then the source
TARGET_COLUMNS = [c for c in REPORT_COLUMNS if c not in ("model_2020", "published_2020", "met", "source")] + [
    "demand_shift_max_pct_gdp",
    "probability",
    "median",
    "p05",
    "p95",
    "source",
]


def sheets(report: Report) -> dict[str, pd.DataFrame]:
    """The sheets of the workbook, in order: name -> table."""
    about = pd.DataFrame(
        [
            ("scenario", report.scenario),
            ("description", report.description),
            ("layers", " <- ".join(report.layers)),
            ("compared with", ", ".join(report.compared)),
            ("simcore version", report.version),
            ("baseline checksum", report.baseline_checksum),
            ("created", report.created),
            ("draws", "" if report.draws is None else report.draws),
            ("seed", "" if report.seed is None else report.seed),
            ("figure regions", " ".join(report.figure_regions)),
            ("command", report.command),
        ],
        columns=["item", "value"],
    )
    out = {"about": about, "headline": report.headline}
    out["targets"] = report.targets[[c for c in TARGET_COLUMNS if c in report.targets.columns]]
    if report.comparison is not None:
        out["comparison"] = report.comparison
    sectors = report.sectors.copy()
    sectors.insert(3, "unit", report.sectors.attrs.get("unit", ""))
    out["sectors"] = sectors
    decomposition = report.decomposition.copy()
    decomposition.insert(4, "unit", "Mt CO2")
    out["decomposition"] = decomposition
    if report.quantiles is not None:
        out["quantiles"] = report.quantiles
    return out


def write_workbook(report: Report, path: str | Path) -> Path:
    """Write the workbook to ``path`` (inside an atomic set: see :func:`simcore.report.write_report`)."""
    from openpyxl.styles import Font

    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in sheets(report).items():
            table = table.copy()
            table.columns = [str(c) for c in table.columns]
            table.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for k, column in enumerate(table.columns, start=1):
                longest = max([len(column)] + [len(str(v)) for v in table[column].head(200)])
                letter = sheet.cell(row=1, column=k).column_letter
                sheet.column_dimensions[letter].width = min(60, max(8, longest + 2))
                if pd.api.types.is_float_dtype(table[column]):
                    for (cell,) in sheet.iter_rows(min_row=2, min_col=k, max_col=k):
                        cell.number_format = "#,##0.000"
    return path
