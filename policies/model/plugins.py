"""Signal kinds come from one entry-point group, the built-in kinds and other packages' alike.

A package adds a kind by being installed with an entry point in ``routing_studio.signal_kinds``
naming a module. Importing that module defines the kind: a :class:`policies.model.signals.Signal`
subclass (spec fields, ``threshold_default``, ``check`` for validation, ``solver_atom`` for
conflict analysis, ``editor_fields`` for the builder) and, to be simulated, a
:class:`policies.signals.base.Extractor` subclass (raw scores, Polars leaf). Both register
themselves on import, so validation, simulation, the solver and the builder see a kind without
knowing where it came from.

The built-in kinds are this distribution's own entry points (``pyproject.toml``, one per module of
:mod:`policies.signals`), loaded by :func:`load_builtin_kinds` when the policy model is defined
(:class:`policies.model.signals.Signals` has a field per built-in collection); a missing registration
(the package not installed, or installed from an older ``pyproject.toml``) is an error saying so.
Other packages' kinds are imported once, the first time a policy's signals are read
(:func:`load_signal_kinds`). A kind module that fails to import is an error naming its entry
point, never a silently missing kind. Keep a plugin's heavy imports (Polars, z3, models) inside
its functions: ``routing-studio validate`` loads every installed kind.
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
DISTRIBUTION = "routing_studio"  # this package, as its dist-info folder names it: its entry points are the built-ins
_loaded: list[str] = []  # "name=module" per plugin loaded; a leading "" marks loading as started
_scanned: list["EntryPoint"] = []  # the group's entry points, read once per process


def group_entries() -> list["EntryPoint"]:
    """The group's installed entry points (the directory scan runs once per process)."""
    if not _scanned:
        _scanned.extend(installed_entry_points(GROUP))
    return list(_scanned)


def load_builtin_kinds() -> list["EntryPoint"]:
    """Import the built-in kinds (this distribution's entry points of the group); returns them."""
    builtin = [entry for entry in group_entries() if entry.distribution == DISTRIBUTION]
    if not builtin:
        raise PolicyError.single("signal-kinds-unregistered", f"routing-studio's built-in signal kinds are not "
                                 f"registered: the installed distribution declares no '{GROUP}' entry points",
                                 suggestion="install the package (pip install -e . in a checkout), so its "
                                 "entry points are written; a stale routing_studio.egg-info folder earlier on "
                                 "sys.path (e.g. in the current folder) shadows them: delete it")
    for entry in builtin:
        _load(entry)
    return builtin


def load_signal_kinds() -> None:
    """Import every other installed package's signal kinds, once (cheap after the first call)."""
    if _loaded:
        return
    _loaded.append("")  # first, so a plugin that reads a policy while importing does not recurse
    for entry in group_entries():
        if entry.distribution != DISTRIBUTION:
            try:
                _load(entry)
            except PolicyError:
                _loaded.clear()  # retried next time
                raise
            _loaded.append(f"{entry.name}={entry.value}")


def _load(entry: "EntryPoint") -> None:
    try:
        entry.load()
    except Exception as exc:  # the kind module's own bug: name it, keep its message
        what = "built-in signal kind" if entry.distribution == DISTRIBUTION else "signal-kind plugin"
        raise PolicyError.single("signal-plugin", f"{what} '{entry.name}' ({entry.value}) failed to load: "
                                 f"{type(exc).__name__}: {exc}",
                                 suggestion=f"fix or uninstall the package providing '{entry.value}'") from exc


def loaded_plugins() -> list[str]:
    """``name=module`` of every plugin loaded so far (for reports and ``routing-studio`` diagnostics)."""
    return _loaded[1:]


@dataclass(frozen=True)
class EntryPoint:
    """One ``name = module[:attr]`` line of an installed distribution's ``entry_points.txt``."""

    name: str
    value: str
    distribution: str = ""  # normalised distribution name (``routing_studio``); "" when unknown

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

        return [EntryPoint(e.name, e.value, _normalised(e.dist.name) if e.dist else "")
                for e in entry_points(group=group)]
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
            distribution = _normalised(name.rpartition(".")[0].partition("-")[0])
            if distribution in seen:
                continue
            seen.add(distribution)
            found += _group_entries(os.path.join(folder or ".", name, "entry_points.txt"), group, header,
                                    distribution)
    return found


def _normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "_", distribution).lower()


def _group_entries(path: str, group: str, header: str, distribution: str) -> list[EntryPoint]:
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
    return [EntryPoint(name, value, distribution) for name, value in parser.items(group)]
