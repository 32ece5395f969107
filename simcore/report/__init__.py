"""A scenario report for readers: one self-contained HTML page and the same tables as an Excel workbook.

:func:`build_report` computes every table (:mod:`simcore.report.content`); :func:`write_report` renders
the page (:mod:`simcore.report.html`) and the workbook (:mod:`simcore.report.workbook`) and writes both as
one atomic set.  This package comes after ``experiments`` in the data flow: it uses runs, targets, the
Monte Carlo, the decomposition and the plots, and the command line calls it.
"""

from __future__ import annotations

import os
from pathlib import Path

from simcore.report.content import Report, build_report

FILES = ("report.html", "report.xlsx")


def write_report(report: Report, out: str | os.PathLike) -> list[Path]:
    """Write ``report.html`` and ``report.xlsx`` into the folder ``out``, both or neither.

    The page is rendered before anything is staged, so a failure while drawing leaves ``out`` untouched.
    """
    from simcore.report.html import render
    from simcore.report.workbook import write_workbook
    from simcore.results.writer import atomic_files

    page = render(report)
    out = Path(out)
    with atomic_files(out) as path_for:
        path_for(FILES[0]).write_text(page, encoding="utf-8")
        write_workbook(report, path_for(FILES[1]))
    return [out / name for name in FILES]


__all__ = ["FILES", "Report", "build_report", "write_report"]
