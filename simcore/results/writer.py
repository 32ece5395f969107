"""The one atomic writer: a whole output set or nothing.

:func:`atomic_files` stages every file of a set in ``OUT/.simcore-stage-<pid>-*``; when all are written
the staging folder is renamed, in one step, to ``OUT/.simcore-commit-*`` (the set is now complete) and its
files are moved into ``OUT``.  An error while staging removes the staging folder and leaves ``OUT`` as it
was.  A crash leaves at most one of two things, both repaired by the next writer into ``OUT``
(:func:`recover`): a staging folder of a dead process (incomplete: removed) or a commit folder (complete:
its move is finished).  :func:`atomic_file` is the single-file form (a temporary name, then one
``os.replace``) used by sweep parts, manifests and caches.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simcore.errors import OutputError
from simcore.files import atomic_file  # noqa: F401  (re-exported: the single-file form)

STAGE = ".simcore-stage-"
COMMIT = ".simcore-commit-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out: Path) -> None:
    """Finish an interrupted commit and remove the staging folders of processes that are gone."""
    for commit in sorted(out.glob(f"{COMMIT}*")):
        _move_all(commit, out)
    for stage in out.glob(f"{STAGE}*"):
        pid = stage.name[len(STAGE) :].split("-", 1)[0]
        if not pid.isdigit() or not _alive(int(pid)) or int(pid) == os.getpid():
            shutil.rmtree(stage, ignore_errors=True)


def _move_all(folder: Path, out: Path) -> None:
    for item in sorted(folder.iterdir()):
        os.replace(item, out / item.name)
    folder.rmdir()


def checked_folder(out: str | os.PathLike) -> Path:
    """``out`` as an output folder: created if missing; an error if it is a file or cannot be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: the output path is a file, expected a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: the output folder is not writable")
    return out


@contextmanager
def atomic_files(out: Path) -> Iterator[callable]:
    """Yield ``path_for(name)`` giving staged paths; on success the whole set lands in ``out`` at once.

    On any error the staging folder is removed and nothing in ``out`` changes.
    """
    out = checked_folder(out)
    recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGE}{os.getpid()}-", dir=out))
    names: list[str] = []

    def path_for(name: str) -> Path:
        if "/" in name or name.startswith("."):
            raise OutputError(f"{name!r}: an output name is a plain file name")
        names.append(name)
        return staging / name

    try:
        yield path_for
        missing = [name for name in names if not (staging / name).is_file()]
        if missing:
            raise OutputError(f"{out}: staged outputs never written: {', '.join(missing)}")
        commit = staging.with_name(COMMIT + staging.name[len(STAGE) :])
        os.rename(staging, commit)  # the one step after which the set is complete
        _move_all(commit, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_results(table, prov: dict, out: Path, stem: str = "results") -> list[Path]:
    with atomic_files(out) as path_for:
        names = stage_results(path_for, table, prov, stem)
    return [out / name for name in names]


def stage_results(path_for, table, prov: dict, stem: str) -> list[str]:
    """Write ``<stem>.csv``, ``.parquet`` and ``.provenance.json`` inside an :func:`atomic_files` block."""
    names = [f"{stem}.csv", f"{stem}.parquet", f"{stem}.provenance.json"]
    table.to_csv(path_for(names[0]), index=False, float_format="%.10g", lineterminator="\n")
    table.to_parquet(path_for(names[1]), index=False)
    path_for(names[2]).write_text(json.dumps(prov, indent=2, ensure_ascii=False) + "\n")
    return names
