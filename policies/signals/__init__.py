"""Signal kinds, one module each: spec, defaults, validation, simulation and solver view, builder form.

Each module defines its kind's :class:`policies.model.signals.Signal` subclass (fields, the
router's defaults with the router file they come from, ``check`` for validation, ``solver_atom``
for conflict analysis, ``editor_fields`` for the builder) and its
:class:`policies.signals.base.Extractor` (raw scores and the Polars leaf). Each kind module is
declared as an entry point of ``routing_studio.signal_kinds`` in ``pyproject.toml`` and registered
through it, exactly as an installed plugin's is (:mod:`policies.model.plugins`); the other modules
here are helpers the kinds share. Kind modules import no Polars, NumPy or z3 at import time.
"""
