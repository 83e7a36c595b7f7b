"""The UI reaches the engine only through ``policies.api``, and the façade lists exactly what the UI imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from policies import api
from policies.loader import load_policy
from widgets.threshold_sliders import threshold_knobs

ROOT = Path(__file__).resolve().parents[2]
UI_FOLDERS = ("widgets", "studio")
FACADE = "policies.api"


def ui_modules() -> list[Path]:
    return sorted(p for folder in UI_FOLDERS for p in (ROOT / folder).rglob("*.py"))


def engine_imports(source: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) for every absolute import of ``policies`` or a submodule, at any depth,
    including ``importlib.import_module("policies...")`` and ``__import__("policies...")`` with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, ()) for a in node.names)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("import_module", "__import__")):
            found.append((node.lineno, node.args[0].value, ()))
    return [(line, module, names) for line, module, names in found if module.split(".")[0] == "policies"]


def violations(source: str) -> list[str]:
    """Engine imports that bypass the façade, as ``line: module``."""
    return [f"{line}: {module}" for line, module, _ in engine_imports(source) if module != FACADE]


def test_detector_catches_every_form_of_engine_import() -> None:
    source = ("from policies.simulation.engine import Simulator\nfrom policies import Policy\n"
              "import policies.storage\ndef f():\n    from policies.model.signals import Signal\n"
              "import importlib\nimportlib.import_module('policies.conflicts')\n"
              "from policies.api import Store\nimport policies.api\nfrom .state import x\n")
    assert violations(source) == ["1: policies.simulation.engine", "2: policies", "3: policies.storage",
                                  "5: policies.model.signals", "7: policies.conflicts"]


def test_widgets_and_studio_import_the_engine_only_through_the_facade() -> None:
    bad = [f"{path.relative_to(ROOT)}:{v}" for path in ui_modules() for v in violations(path.read_text())]
    assert bad == [], f"import these names from {FACADE} instead:\n" + "\n".join(bad)


def test_facade_lists_exactly_what_the_ui_imports() -> None:
    used = {name for path in ui_modules() for _, module, names in engine_imports(path.read_text())
            if module == FACADE for name in names}
    assert used - set(api.__all__) == set()  # also caught at import time; named here for the message
    assert set(api.__all__) - used == set(), "unused façade names: drop them from policies.api.GROUPS"


def test_every_name_is_listed_once_and_is_its_home_object() -> None:
    listed = [name for homes in api.GROUPS.values() for names in homes.values() for name in names]
    assert sorted(listed) == api.__all__ == sorted(dir(api))
    for name in api.__all__:
        assert getattr(api, name) is getattr(import_module(api.HOMES[name]), name), name
    with pytest.raises(AttributeError, match="no attribute 'EmbeddingSignal'"):
        api.EmbeddingSignal  # kinds are reached through Signal.kind, never by class name
    assert all(name in api.__doc__ for name in listed)


def test_importing_the_facade_loads_no_heavy_engine_part() -> None:
    """A notebook importing one widget must not pay for the solver, the database layer or the models."""
    probe = ("import sys, policies; before = set(sys.modules); import policies.api; "
             "print(sorted(set(sys.modules) - before)); "
             "print(sorted(m for m in ('z3', 'sqlalchemy', 'onnxruntime', 'polars') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.splitlines() == ["['policies.api']", "[]"]


def test_threshold_slider_finds_the_embedding_kind_through_signal_kind() -> None:
    policy = load_policy(ROOT / "sample_data" / "policies" / "multi_domain_experts.yaml")
    knob = next(k for k in threshold_knobs(policy) if k.key == "embeddings.data_analysis.threshold")
    assert (knob.value, knob.low, knob.high) == (0.72, -1.0, 1.0)  # a cosine, not a unit score
