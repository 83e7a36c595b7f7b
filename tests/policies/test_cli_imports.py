"""Import budget of the command line: each command loads only what it needs (issue #11, item 4).

A CI gate runs ``routing-studio validate`` as a process, so heavy libraries imported at start-up
are paid on every call (1.3 s before this budget; the check itself takes ~36 ms). Counting the
modules a fresh interpreter holds after a command is exact and independent of machine load;
the time itself is measured in benchmarks/bench_cli_validate.py, never here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CANONICAL_FILES

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/fixtures"

# Libraries validation and --help never need (data frames, solver, models, database, UI) and engine
# packages that pull them in.
HEAVY = ("polars", "pyarrow", "pandas", "numpy", "sqlalchemy", "alembic", "z3", "onnxruntime", "tokenizers",
         "panel", "bokeh", "holoviews", "param")
ENGINE_PARTS = ("policies.simulation", "policies.conflicts", "policies.inference", "policies.traffic",
                "policies.storage", "policies.bundles")
# What validating a YAML file does not use: the DSL's parser and compiler, the own-models mapping,
# round-trip editing.
NOT_FOR_YAML = ("policies.dsl.lexer", "policies.dsl.parser", "policies.dsl.compiler", "policies.dsl.emitter",
                "policies.models_config", "policies.yaml_roundtrip", "ruamel")

PROBE = """
import json, sys
from policies.commands import main
try:
    main(sys.argv[2:], prog_name="routing-studio")
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def loaded_by(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """Exit code and every module a fresh interpreter holds after running ``routing-studio ARGS`` in-process."""
    record = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", PROBE, str(record), *args], cwd=ROOT, check=True, capture_output=True,
                   timeout=300)
    data = json.loads(record.read_text())
    return data["code"], set(data["modules"])


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The modules that are one of ``names`` or inside one of them."""
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("path", CANONICAL_FILES[:2], ids=lambda p: p.name)
def test_validate_imports_no_heavy_library(tmp_path, path):
    code, modules = loaded_by(tmp_path, "validate", str(path))
    assert code == 0
    assert "policies.validation" in modules  # it did validate
    assert heavy(modules, HEAVY) == []
    assert heavy(modules, ENGINE_PARTS) == []
    assert heavy(modules, NOT_FOR_YAML) == []


def test_validate_of_a_dsl_file_loads_the_compiler(tmp_path):
    recipe = ROOT.parent / "shared/data/vllm-sr-upstream/recipes/accuracy/recipe.dsl"
    code, modules = loaded_by(tmp_path, "validate", str(recipe))
    assert code == 0 and "policies.dsl.compiler" in modules


def test_help_imports_no_heavy_library(tmp_path):
    code, modules = loaded_by(tmp_path, "--help")
    assert code == 0
    assert {"policies.commands.check", "policies.commands.simulate", "policies.commands.bundle"} <= modules
    assert heavy(modules, HEAVY) == [] and heavy(modules, ENGINE_PARTS) == []


def test_a_command_still_loads_what_it_needs(tmp_path):
    """The probe sees lazy imports: ``check`` brings in the solver when it runs, and only then."""
    code, modules = loaded_by(tmp_path, "check", "--no-repairs", str(FIXTURES / "conflicts/priority_tie.yaml"))
    assert code == 0
    assert "z3" in modules and "policies.conflicts" in modules
    assert heavy(modules, ("sqlalchemy", "onnxruntime", "panel")) == []


def test_sql_traffic_reader_loads_sqlalchemy_on_first_use():
    probe = ("import sys, policies.traffic as t; before = 'sqlalchemy' in sys.modules; t.read_sql_traffic; "
             "print(before, 'sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"]
