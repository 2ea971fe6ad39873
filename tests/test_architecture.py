"""The house rules of docs/architecture.md, checked: data flows one way (no module imports
one from a layer further right), and a command is four files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pbr_model.analyses.base import Provenance, Result

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pbr_model"

#: Layers, left to right; a module may import its own layer and those to its left.
LAYERS = [
    {"_version", "_threads", "_malloc", "errors", "text", "stats", "files", "csvread", "rng",
     "sampling",
     "approx", "search", "sketch", "parallel", "stopping", "indigo_json"},
    {"spec"},
    {"timeline"},
    {"outcomes", "trend", "effects", "areas", "attrition", "designs", "measure"},
    {"payments"},
    {"finance"},
    {"engine", "scenarios", "observed", "observed_indigo", "memory"},
    {"analyses"},
    {"report"},
    {"cli"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}
#: The package's facade and entry point import from every layer by design.
FACADES = {"__init__", "__main__", "_moved"}

#: The commands that compute, each with its analysis, view and command modules.
COMMANDS = ["simulate", "capital", "portfolio", "power", "breakeven", "settle", "show", "indigo"]


def top(module: Path) -> str:
    """The first part of a module's name inside the package (``analyses`` for
    ``pbr_model/analyses/capital.py``, ``engine`` for ``pbr_model/engine.py``)."""
    return module.relative_to(PACKAGE).with_suffix("").parts[0]


def imported(module: Path, source: str | None = None) -> set[str]:
    """The first parts of every ``pbr_model`` module ``module`` imports (relative or
    absolute, at the top or inside a function); ``source`` instead of the file's text."""
    tree = ast.parse(module.read_text() if source is None else source)
    package = module.relative_to(PACKAGE).parent.parts
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                parts = [*base, *(node.module.split(".") if node.module else [])]
                if not parts:  # "from . import x" at the package root
                    parts = [alias.name for alias in node.names]
                out.add(parts[0])
            elif node.module and node.module.split(".")[0] == "pbr_model":
                rest = node.module.split(".")[1:]
                out.add(rest[0] if rest else node.names[0].name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pbr_model" and len(parts) > 1:
                    out.add(parts[1])
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if top(p) not in FACADES)


def test_every_module_has_a_layer():
    assert {top(p) for p in MODULES} - set(LAYER) == set()


def further_right(module: Path, source: str | None = None) -> set[str]:
    mine = LAYER[top(module)]
    return {name for name in imported(module, source) if LAYER.get(name, -1) > mine}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_one_further_right(module):
    right = further_right(module)
    assert not right, f"{module.relative_to(ROOT)} imports {sorted(right)}, further right"


@pytest.mark.parametrize("line", ["from ..report.format import money",
                                  "from pbr_model.analyses import simulate",
                                  "import pbr_model.cli.app"])
def test_the_layer_check_catches_an_import_further_right(line):
    cash = PACKAGE / "finance" / "cash.py"
    assert further_right(cash, cash.read_text() + "\n" + line + "\n")
    assert not further_right(cash)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_is_four_files(command):
    assert (PACKAGE / "analyses" / f"{command}.py").is_file()
    assert (PACKAGE / "report" / f"{command}.py").is_file()
    cli = "capital" if command == "portfolio" else command  # pbr capital PORTFOLIO.toml
    assert (PACKAGE / "cli" / f"{cli}.py").is_file()
    assert (ROOT / "tests" / "analyses" / f"test_{command}.py").is_file()


def test_every_result_follows_the_protocol():
    """Each analysis module's ``...Result`` carries a provenance and offers to_dict and
    tables."""
    import importlib
    import inspect
    for command in COMMANDS:
        module = importlib.import_module(f"pbr_model.analyses.{command}")
        results = [cls for name, cls in inspect.getmembers(module, inspect.isclass)
                   if name.endswith("Result") and cls.__module__ == module.__name__
                   and name not in ("PartyResult", "AreaResult")]
        assert results, command
        for cls in results:
            assert callable(getattr(cls, "to_dict", None)), cls
            assert callable(getattr(cls, "tables", None)), cls
            hints = {**getattr(cls, "__annotations__", {})}
            has = "provenance" in hints or isinstance(getattr(cls, "provenance", None), property)
            assert has, f"{cls.__name__} has no provenance"
    assert Provenance and Result


# -- start-up: pandas, openpyxl and pyarrow only where a table or workbook is written --------

#: Libraries only a command that writes a table or workbook may load (issue 15: start-up).
HEAVY = {"pandas", "openpyxl", "pyarrow", "matplotlib", "xarray"}
#: Modules that exist to write or read a workbook, so may import them at the top; every
#: other module imports them (and these modules) inside the function that needs them, or
#: under ``if TYPE_CHECKING:`` for annotations (tests/test_startup.py runs the commands).
WORKBOOK_MODULES = {"pbr_model.spec.template", "pbr_model.spec.workbook"}


def dotted(module: Path) -> str:
    return ".".join(module.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def top_level_imports(module: Path, source: str | None = None) -> set[str]:
    """Every module ``module`` imports when it is itself imported (statements at the top,
    in classes and in ``if``/``try``/``with`` blocks; not in functions, nor under ``if
    TYPE_CHECKING:``), as dotted names; ``from X import y`` gives ``X`` and ``X.y``."""
    tree = ast.parse(module.read_text() if source is None else source)
    name = dotted(module)
    package = name if module.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(statements):
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                out.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - (node.level - 1)])
                    source_name = f"{base}.{node.module}" if node.module else base
                else:
                    source_name = node.module
                out.add(source_name)
                out.update(f"{source_name}.{alias.name}" for alias in node.names)
            for field_name in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, field_name, []) or [])

    visit(tree.body)
    return out


def loads_heavy(module: Path, source: str | None = None) -> set[str]:
    """What ``module`` imports at its top that only table and workbook writers may."""
    return {m for m in top_level_imports(module, source)
            if m.split(".")[0] in HEAVY or m in WORKBOOK_MODULES}


ALL_MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("module", ALL_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pandas_openpyxl_and_pyarrow_are_imported_only_where_used(module):
    if dotted(module) in WORKBOOK_MODULES:
        return
    heavy = loads_heavy(module)
    assert not heavy, (f"{module.relative_to(ROOT)} imports {sorted(heavy)} at the top: import "
                       "it inside the function that writes the table or workbook")


@pytest.mark.parametrize("line", ["import pandas as pd", "from openpyxl.styles import Font",
                                  "from .template import write_template",
                                  "if True:\n    import pyarrow"])
def test_the_start_up_check_catches_a_top_level_import(line):
    load = PACKAGE / "spec" / "load.py"
    assert loads_heavy(load, load.read_text() + "\n" + line + "\n")
    assert not loads_heavy(load)
    inside = "\ndef f():\n    " + line.replace("\n", "\n    ") + "\n"
    assert not loads_heavy(load, load.read_text() + inside)
    typing_only = "\nif TYPE_CHECKING:\n    " + line.replace("\n", "\n    ") + "\n"
    assert not loads_heavy(load, load.read_text() + typing_only)
