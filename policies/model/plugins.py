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

from importlib.metadata import entry_points

from ..errors import PolicyError

GROUP = "routing_studio.signal_kinds"
_loaded: list[str] = []  # "name=module" per plugin loaded; a leading "" marks loading as started


def load_signal_kinds() -> None:
    """Import every installed signal-kind plugin, once (cheap after the first call)."""
    if _loaded:
        return
    _loaded.append("")  # first, so a plugin that reads a policy while importing does not recurse
    for entry in entry_points(group=GROUP):
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
