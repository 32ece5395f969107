"""The npz cache of derived arrays (parsed baseline, compiled system), keyed by content.

In ``$SIMCORE_CACHE_DIR`` (default ``~/.cache/simcore``; an empty value disables it).  Best effort: a
cache that cannot be read or written is skipped, never an error; each file is written under a temporary
name and moved into place in one step.  The key holds the versions of simcore and of the libraries that
compute the cached arrays (numpy, pandas, scipy): a cache written by another environment (a pyam venv with
an older pandas, say) is never read, since its last digits may differ.
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib import metadata
from pathlib import Path

import numpy as np

from simcore.files import atomic_file


def cache_dir() -> Path | None:
    """Where derived binary caches go: ``$SIMCORE_CACHE_DIR`` (empty disables), else the user cache."""
    env = os.environ.get("SIMCORE_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "simcore"


@functools.lru_cache(maxsize=1)
def environment() -> str:
    """The versions that decide the cached arrays' last digits: simcore, numpy, pandas, scipy."""
    versions = []
    for package in ("simcore", "numpy", "pandas", "scipy"):
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=?")
    return ";".join(versions)


def cache_path(folder: Path, kind: str, key: str) -> Path:
    """The file of a content key in this environment (:func:`environment`)."""
    digest = hashlib.sha256(f"{environment()}\n{key}".encode()).hexdigest()[:32]
    return folder / f"{kind}-{digest}.npz"


def cache_load(kind: str, key: str) -> dict | None:
    """Arrays cached under a content key, or None (no cache, missing or unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = cache_path(folder, kind, key)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError):
        return None


def cache_save(kind: str, key: str, arrays: dict) -> None:
    """Best effort: a cache that cannot be written is skipped."""
    folder = cache_dir()
    if folder is None:
        return
    path = cache_path(folder, kind, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp:
            np.savez(tmp, **arrays)
    except OSError:
        pass  # best effort; atomic_file has removed its temporary file
