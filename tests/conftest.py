"""Shared fixtures.  Tests never seed globally and never touch the network."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

# binary caches (parsed baseline, compiled system) go to a throwaway folder, never the user's cache
if "SIMCORE_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["SIMCORE_CACHE_DIR"] = tempfile.mkdtemp(prefix="simcore-test-cache-")

REPO = Path(__file__).resolve().parents[1]


def shared_folder() -> Path | None:
    """The raw shared inputs, when this machine has them (only the calibration build reads them)."""
    env = os.environ.get("SIMCORE_SHARED")
    folder = Path(env) if env else REPO.parent / "shared"
    return folder if (folder / "data" / "nbs_io").is_dir() else None


@pytest.fixture(scope="session", autouse=True)
def _run_from_the_repository():
    """Tests name files relative to the repository (``scenarios/baseline.yaml``), as the README does, so the
    suite runs in the repository root whatever folder pytest was started from (``pytest /path/to/simcore``)."""
    before = Path.cwd()
    os.chdir(REPO)
    yield
    os.chdir(before)


_SKIPPED_BUILD: list[str] = []


@pytest.fixture(scope="session")
def baseline():
    from simcore import load_baseline

    return load_baseline()


@pytest.fixture(scope="session")
def shared():
    folder = shared_folder()
    if folder is None:
        tried = os.environ.get("SIMCORE_SHARED") or REPO.parent / "shared"
        message = f"raw shared inputs not found at {tried} (set SIMCORE_SHARED)"
        if os.environ.get("SIMCORE_REQUIRE_SHARED"):
            pytest.fail(f"{message}; SIMCORE_REQUIRE_SHARED is set, so the calibration build tests must run")
        _SKIPPED_BUILD.append(message)
        pytest.skip(f"{message}: the calibration build cannot run here")
    return folder


def pytest_terminal_summary(terminalreporter):
    """Say loudly, at the end, that the calibration build or the browser test of the report did not run (a
    skip is easy to miss)."""
    if _SKIPPED_BUILD:
        terminalreporter.write_sep("!", "CALIBRATION BUILD NOT TESTED", red=True, bold=True)
        terminalreporter.write_line(f"{_SKIPPED_BUILD[0]}: the tests that rebuild calibration/data from the raw")
        terminalreporter.write_line("inputs were skipped.  Put the shared folder next to the repository (or set")
        terminalreporter.write_line(
            "SIMCORE_SHARED) to run them; SIMCORE_REQUIRE_SHARED=1 turns the skip into a failure."
        )
    if any("CHROMIUM NOT INSTALLED" in str(r.longrepr) for r in terminalreporter.stats.get("skipped", [])):
        terminalreporter.write_sep("!", "REPORT NOT TESTED IN A BROWSER", red=True, bold=True)
        terminalreporter.write_line(
            "chromium is not on PATH, so tests/test_report.py did not load report.html in a headless browser "
            "(Debian: apt-get install chromium); SIMCORE_REQUIRE_BROWSER=1 turns the skip into a failure."
        )


@pytest.fixture
def numba_threads():
    """``with numba_threads(n):`` runs numba's parallel kernels on ``n`` threads, restoring the count after.

    Skips the test (visibly) where numba has fewer than two threads: comparing one thread with one thread
    would pass whatever the kernel does.
    """
    import numba

    available = numba.config.NUMBA_NUM_THREADS
    if available < 2:
        pytest.skip(f"thread-count determinism needs >= 2 numba threads; NUMBA_NUM_THREADS={available} here")
    before = numba.get_num_threads()

    @contextmanager
    def use(n: int):
        numba.set_num_threads(n)
        try:
            yield
        finally:
            numba.set_num_threads(before)

    yield use
    numba.set_num_threads(before)


@pytest.fixture(scope="session")
def repo_path() -> Path:
    """The repository root, so that tests do not depend on the working directory."""
    return REPO


@pytest.fixture
def require_cjk():
    """Skip a Chinese chart test where no CJK font is installed (fail instead with SIMCORE_REQUIRE_CJK=1,
    which .ci/run sets once it has installed fonts-noto-cjk)."""
    from simcore.plotting import cjk_font

    if cjk_font() is None:
        if os.environ.get("SIMCORE_REQUIRE_CJK"):
            pytest.fail("SIMCORE_REQUIRE_CJK is set but no CJK font is installed (Debian: fonts-noto-cjk)")
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk); Chinese charts untested")
