"""A progress bar (tqdm) for long runs, or nothing."""

from __future__ import annotations


class _NoBar:
    def update(self, _: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, show: bool, label: str, unit: str = "chunk"):
    """A tqdm bar when ``show`` and there is more than one step, else a no-op object with the same API."""
    if not show or total <= 1:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit)
