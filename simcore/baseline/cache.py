"""The npz cache of derived arrays (parsed baseline, compiled system), keyed by content.

In ``$SIMCORE_CACHE_DIR`` (default ``~/.cache/simcore``; an empty value disables it).  Best effort: a
cache that cannot be read or written is skipped, never an error; each file is written under a temporary
name and moved into place in one step.
"""

from __future__ import annotations

import hashlib
import os
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


def cache_load(kind: str, key: str) -> dict | None:
    """Arrays cached under a content key, or None (no cache, missing or unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz"
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
    path = folder / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp:
            np.savez(tmp, **arrays)
    except OSError:
        pass  # best effort; atomic_file has removed its temporary file
