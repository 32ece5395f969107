"""The one atomic writer: a whole output set or nothing.

:func:`atomic_files` stages every file of a set in ``OUT/.simcore-stage-<pid>-*``, whose ``.owner`` file
the writing process holds locked (``flock``) until it is done.  When all are written, under an exclusive
lock on ``OUT`` itself, the staging folder is renamed in one step to ``OUT/.simcore-commit-*`` (from then
on the new set is the one in ``OUT``) and its files are moved into ``OUT``, one ``os.replace`` each.  An
error while staging removes the staging folder and leaves ``OUT`` as it was; an error or Ctrl-C during
the move finishes the move first.  A process killed at any point leaves at most:

* a staging folder whose owner lock is gone (or, without an owner file, whose process is gone):
  incomplete, removed;
* a commit folder with the files not yet moved: complete, its move is finished.

:func:`recover` does both, under the lock on ``OUT``; every writer into ``OUT`` calls it first.  So after
a kill a simcore reader or writer of ``OUT`` sees the old set or the new set, never a mix; a reader outside
simcore may see a mix only while a ``.simcore-commit-*`` folder is present.  Staging folders are removed
only when they match the writer's own name pattern and their owner is gone (the lock is free: the
process ended, however it ended), never those of a live process, this one's other threads included.
:func:`atomic_file` is the single-file form (a temporary name, then one ``os.replace``) used by sweep
parts, manifests and caches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from simcore.errors import OutputError
from simcore.files import atomic_file  # noqa: F401  (re-exported: the single-file form)

try:
    import fcntl
except ImportError:  # Windows: no flock; staging folders are then judged by their process id alone
    fcntl = None

STAGE = ".simcore-stage-"
COMMIT = ".simcore-commit-"
OWNER = ".owner"  # inside a staging folder: locked by the writing process while it writes
_OURS = re.compile(r"^\.simcore-(stage|commit)-(\d+)-[A-Za-z0-9_]+$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the folder ``out`` itself (no file is created), held while a set is
    committed or recovered: a recovery never moves a commit that a live writer is moving."""
    if fcntl is None:
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        with suppress(OSError):  # a file system without flock: no lock
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _claim(staging: Path) -> int | None:
    """Create and lock ``staging/.owner``; the descriptor (closed, so unlocked, when the set is done or
    the process ends)."""
    if fcntl is None:
        return None
    fd = os.open(staging / OWNER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass
    os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
    return fd


def _abandoned(stage: Path) -> bool:
    """Whether a staging folder's owner is gone: its owner lock can be taken, or it has no owner file
    (killed before it made one) and its process no longer runs."""
    match = _OURS.match(stage.name)
    if match is None or match.group(1) != "stage" or stage.is_symlink() or not stage.is_dir():
        return False
    owner = stage / OWNER
    if fcntl is None or not owner.is_file():
        return not _alive(int(match.group(2)))
    try:
        fd = os.open(owner, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its writer still holds it
    except OSError:
        return not _alive(int(match.group(2)))
    finally:
        os.close(fd)
    return True


def recover(out: str | os.PathLike) -> None:
    """Finish the move of every interrupted commit in ``out`` and remove the staging folders whose owner
    is gone (see the module docstring); a no-op on a folder with neither."""
    out = Path(out)
    if not any(out.glob(".simcore-*")):
        return
    with _locked(out):
        _recover(out)


def _recover(out: Path) -> None:
    for commit in sorted(out.glob(f"{COMMIT}*")):
        if _OURS.match(commit.name) and commit.is_dir() and not commit.is_symlink():
            _move_all(commit, out)  # commits run under the lock we hold: this one's writer died
    for stage in out.glob(f"{STAGE}*"):
        if _abandoned(stage):
            shutil.rmtree(stage, ignore_errors=True)


def _move_all(folder: Path, out: Path) -> None:
    for item in sorted(folder.iterdir()):
        if not item.name.startswith("."):
            os.replace(item, out / item.name)
    for item in folder.iterdir():  # the owner file
        item.unlink()
    os.rmdir(folder)


def check_output_path(out: str | os.PathLike) -> Path:
    """Check, without creating anything, that ``out`` can be an output folder: an error if it is a file,
    if it is a folder that cannot be written, or if the nearest folder above it that exists cannot be
    written (or is a file).  For commands to call before they compute anything."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out}: the output path is a file, expected a folder")
        if not os.access(out, os.W_OK | os.X_OK):
            raise OutputError(f"{out}: the output folder is not writable")
        return out
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{out}: cannot create the output folder ({parent} is a file)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot create the output folder ({parent} is not writable)")
    return out


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

    On any error while the block runs the staging folder is removed and nothing in ``out`` changes.
    """
    out = checked_folder(out)
    recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGE}{os.getpid()}-", dir=out))
    owner = _claim(staging)
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
        with _locked(out):
            os.rename(staging, commit)  # the one step after which the set is complete
            try:
                _move_all(commit, out)
            except BaseException:
                # an error or Ctrl-C halfway: finish the move if the file system lets us, so that OUT holds
                # the new set; failing that the commit folder stays and the next recover finishes it
                with suppress(Exception):
                    _move_all(commit, out)
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if owner is not None:
            os.close(owner)


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
