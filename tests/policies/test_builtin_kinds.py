"""Built-in signal kinds register through this package's own entry points, as plugins do.

The distribution's metadata (read with ``importlib.metadata``, not our scanner) lists every module of
``policies.signals`` that defines a kind, and the registry holds exactly the kinds those modules
and the loaded plugins define. A checkout whose metadata lacks the registrations, or names a module
that does not import, fails with an error saying so, not with a policy model missing its kinds.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

import policies.signals
from policies.model.plugins import GROUP, loaded_plugins
from policies.model.signals import Signal

ROOT = Path(__file__).resolve().parents[2]


def _kind_modules() -> set[str]:
    """Modules of policies.signals that define a signal kind (a Signal subclass with a collection)."""
    found = set()
    for path in Path(policies.signals.__file__).parent.glob("*.py"):
        module = importlib.import_module(f"policies.signals.{path.stem}")
        if any(issubclass(c, Signal) and c.collection and c.__module__ == module.__name__
               for _, c in inspect.getmembers(module, inspect.isclass)):
            found.add(module.__name__)
    return found


def test_the_distribution_declares_every_builtin_kind_module() -> None:
    declared = {e.name: e.value for e in distribution("routing-studio").entry_points if e.group == GROUP}
    assert set(declared.values()) == _kind_modules()
    assert all(value == f"policies.signals.{name}" for name, value in declared.items())


def test_the_registry_holds_the_declared_kinds_and_the_plugins_only() -> None:
    declared = {e.value for e in distribution("routing-studio").entry_points if e.group == GROUP}
    plugins = {entry.partition("=")[2].partition(":")[0] for entry in loaded_plugins()}
    origins = {kind.__module__ for kind in Signal.collections().values()}
    assert declared <= origins <= declared | plugins


def _shadowed(tmp_path: Path, entry_points: str) -> subprocess.CompletedProcess[str]:
    """Import the policy model with a routing_studio distribution whose metadata says ``entry_points``
    first on sys.path (as a stale checkout's metadata would be)."""
    info = tmp_path / "routing_studio-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: routing-studio\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    return subprocess.run([sys.executable, "-c", "import policies.model"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_unregistered_builtin_kinds_are_a_clear_error(tmp_path: Path) -> None:
    done = _shadowed(tmp_path, "[console_scripts]\nrouting-studio = policies.commands:main\n")
    assert done.returncode != 0
    assert "built-in signal kinds are not registered" in done.stderr
    assert "pip install -e ." in done.stderr


@pytest.mark.parametrize("value", ["policies.signals.no_such_kind", "policies.signals.keyword:NoSuchClass"])
def test_a_broken_builtin_registration_names_its_entry_point(tmp_path: Path, value: str) -> None:
    done = _shadowed(tmp_path, f"[{GROUP}]\nkeyword = policies.signals.keyword\nbroken = {value}\n")
    assert done.returncode != 0
    assert f"built-in signal kind 'broken' ({value}) failed to load" in done.stderr
