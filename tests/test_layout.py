"""The house rules of the layout: imports run one way, kernels import only numpy and numba, plotting runs no
model, every error derives from SimcoreError, and the command line starts without the numerical stack."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import simcore
from simcore import errors

PACKAGE = Path(simcore.__file__).resolve().parent
LAYERS = (
    "errors",
    "baseline",
    "scenario",
    "model",
    "results",
    "analysis",
    "plotting",  # after analysis: a fan scores plan targets by analysis.targets' rules
    "experiments",
    "report",
    "cli",
)
#: version, errors, files, progress bars and display names
FOUNDATION = {"simcore", "simcore.errors", "simcore.files", "simcore.progress", "simcore.labels"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        yield name, path


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):  # lazy imports inside functions count too
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "simcore")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "simcore":
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


@pytest.mark.parametrize("name, path", list(_modules()), ids=[n for n, _ in _modules()])
def test_imports_run_one_way(name, path):
    own = _layer(name)
    for module in _imports(path):
        if module in FOUNDATION or _layer(module) is None:
            continue
        assert _layer(module) <= own, f"{name} imports {module}: a later package"


def test_kernels_import_only_numpy_and_numba():
    imports = _imports(PACKAGE / "model" / "kernels.py")
    assert set(imports) - {"simcore.model.vmath"} <= {"numpy", "numba"}, imports
    vmath_imports = _imports(PACKAGE / "model" / "vmath.py")  # llvmlite is numba's own code generator
    assert {m.split(".")[0] for m in vmath_imports} <= {"numpy", "numba", "llvmlite"}, vmath_imports


def test_plotting_imports_nothing_that_runs_the_model():
    simcore_imports = {m for m in _imports(PACKAGE / "plotting.py") if m.startswith("simcore")}
    # simcore.labels reads the codelists (display names); simcore.analysis.targets holds the rules that
    # score a plan target (pure functions of a path), nothing that runs the model
    allowed = {
        "simcore.errors",
        "simcore.labels",
        "simcore.model.variables",
        "simcore.scenario.schema",
        "simcore.analysis.targets",
    }
    assert simcore_imports <= allowed, simcore_imports


def test_every_error_type_lives_in_errors_and_derives_from_simcore_error():
    for name, obj in vars(errors).items():
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, errors.SimcoreError), name
    for name, path in _modules():
        if name == "simcore.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                assert not any(b.endswith(("Error", "Exception")) for b in bases), f"{name}.{node.name}"


def test_the_command_line_starts_without_pandas_numba_or_scipy():
    heavy = "('pandas', 'numba', 'scipy', 'matplotlib')"
    code = f"import sys, simcore.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_version_is_written_once():
    from importlib.metadata import version

    assert version("simcore") == simcore.__version__
    text = (PACKAGE.parent / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and simcore.__version__ not in text.split("[tool.setuptools.dynamic]")[0]


def test_every_command_line_option_has_help_text():
    import argparse

    from simcore.cli import build_parser

    missing = []

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, prefix + [name])
            elif not action.help and action.dest != "help":
                missing.append(" ".join(prefix + [action.option_strings[0] if action.option_strings else action.dest]))

    walk(build_parser(), ["simcore"])
    assert not missing, f"options without help text: {missing}"


def test_markdown_tables_in_the_docs_have_as_many_cells_as_their_header():
    """A "|" inside a cell (variable names such as Value Added|Industry) must be escaped, or the row breaks."""
    import re

    broken = []
    for path in sorted((PACKAGE.parent / "docs").glob("*.md")):
        header = None
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.startswith("|"):
                header = None
                continue
            cells = len(re.split(r"(?<!\\)\|", line.strip().strip("|")))
            if header is None:
                header = cells
            elif cells != header:
                broken.append(f"{path.name}:{number}: {cells} cells, header has {header}")
    assert not broken, broken


def test_every_command_takes_quiet_and_verbose():
    import argparse

    from simcore.cli import build_parser

    lacking = []

    def walk(parser, prefix):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            options = {o for a in parser._actions for o in a.option_strings}
            if not {"-q", "--quiet", "-v", "--verbose"} <= options:
                lacking.append(" ".join(prefix))
        for action in subs:
            for name, sub in action.choices.items():
                walk(sub, prefix + [name])

    walk(build_parser(), ["simcore"])
    assert not lacking, lacking


def test_messages_go_through_logging_and_quiet_silences_them(capsys):
    import logging

    from simcore.cli import _configure_logging, build_parser

    args = build_parser().parse_args(["validate", "scenarios/baseline.yaml"])
    _configure_logging(args)
    logging.getLogger("simcore").info("hello")
    assert "simcore: hello" in capsys.readouterr().err
    args = build_parser().parse_args(["validate", "-q", "scenarios/baseline.yaml"])
    _configure_logging(args)
    logging.getLogger("simcore").info("hidden")
    logging.getLogger("simcore").warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err and "simcore: shown" in err
