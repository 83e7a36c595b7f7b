"""Signal kinds, one module each: spec, defaults, validation, simulation and solver view, builder form.

Each module defines its kind's :class:`policies.model.signals.Signal` subclass (fields, the
router's defaults with the router file they come from, ``check`` for validation, ``solver_atom``
for conflict analysis, ``editor_fields`` for the builder) and its
:class:`policies.signals.base.Extractor` (raw scores and the Polars leaf). Importing this package
registers the built-in kinds; installed plugins register theirs the same way
(:mod:`policies.model.plugins`). Kind modules import no Polars, NumPy or z3 at import time.
"""

from . import (  # noqa: F401  (importing a kind's module registers it)
    authz, classifier, complexity, context, conversation, detector_labels, domain, embedding, event, hallucination,
    input_modality, jailbreak, kb, keyword, language, metadata, pii, preference, reask, safety, structure,
)
