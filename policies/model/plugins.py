"""Signal kinds from other packages: installed packages declare them in one entry-point group.

A package adds a kind by being installed with an entry point in ``routing_studio.signal_kinds``
naming a module. Importing that module defines the kind exactly as the built-in kinds are defined:
a :class:`policies.model.signals.Signal` subclass (spec fields, ``threshold_default``, ``check``
for validation, ``solver_atom`` for conflict analysis, ``editor_fields`` for the builder) and, to
be simulated, a :class:`policies.signals.base.Extractor` subclass (raw scores, Polars leaf).
Both register themselves on import, as the built-ins do, so validation, simulation, the solver
and the builder see a plugin kind without knowing where it came from.

Plugins are imported once, the first time a policy's signals are read (not when the engine is
imported), and a plugin that fails to import is an error naming its entry point, never a
silently missing kind. Keep a plugin's heavy imports (Polars, z3, models) inside its functions:
``routing-studio validate`` loads every installed plugin.
"""

from __future__ import annotations

import configparser
import importlib
import os
import re
import sys
from dataclasses import dataclass

from ..errors import PolicyError

GROUP = "routing_studio.signal_kinds"
_loaded: list[str] = []  # "name=module" per plugin loaded; a leading "" marks loading as started


def load_signal_kinds() -> None:
    """Import every installed signal-kind plugin, once (cheap after the first call)."""
    if _loaded:
        return
    _loaded.append("")  # first, so a plugin that reads a policy while importing does not recurse
    for entry in installed_entry_points(GROUP):
        try:
            entry.load()
        except Exception as exc:  # a plugin's own bug: name it, keep its message, retry next time
            _loaded.clear()
            raise PolicyError.single("signal-plugin", f"signal-kind plugin '{entry.name}' ({entry.value}) failed to "
                                     f"load: {type(exc).__name__}: {exc}",
                                     suggestion=f"fix or uninstall the package providing '{entry.value}'") from exc
        _loaded.append(f"{entry.name}={entry.value}")


def loaded_plugins() -> list[str]:
    """``name=module`` of every plugin loaded so far (for reports and ``routing-studio`` diagnostics)."""
    return _loaded[1:]


@dataclass(frozen=True)
class EntryPoint:
    """One ``name = module[:attr]`` line of an installed distribution's ``entry_points.txt``."""

    name: str
    value: str

    def load(self) -> object:
        module, _, attr = self.value.partition(":")
        loaded: object = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            loaded = getattr(loaded, part)
        return loaded


def installed_entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` in the distributions on ``sys.path``, first distribution of a name wins.

    The same answer as ``importlib.metadata.entry_points(group=...)`` for installed (directory) packages,
    without importing ``importlib.metadata`` (and ``email`` with it): that import and its scan were
    ~30 ms of a `routing-studio validate` process, which reads this on every run. A zipped path entry
    (rare) goes through ``importlib.metadata`` itself.
    """
    if any(os.path.isfile(entry) for entry in sys.path if entry):
        from importlib.metadata import entry_points

        return [EntryPoint(e.name, e.value) for e in entry_points(group=group)]
    seen: set[str] = set()
    found: list[EntryPoint] = []
    header = f"[{group}]"
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            distribution = re.sub(r"[-_.]+", "_", name.rpartition(".")[0].partition("-")[0]).lower()
            if distribution in seen:
                continue
            seen.add(distribution)
            found += _group_entries(os.path.join(folder or ".", name, "entry_points.txt"), group, header)
    return found


def _group_entries(path: str, group: str, header: str) -> list[EntryPoint]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return []
    if header not in text:  # most distributions: no need to parse
        return []
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  (entry-point names are case-sensitive)
    parser.read_string(text, source=path)
    return [EntryPoint(name, value) for name, value in parser.items(group)]
