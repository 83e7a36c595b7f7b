"""The engine as the UI sees it: the one module ``widgets/`` and ``studio/`` import from.

Why a façade: the widgets used to import some thirty engine internals, so moving a class inside the
engine broke the UI. Here every name is listed once with its home (the module that defines it, or the
package that publishes it), and nothing else: no logic, no wrappers. ``tests/widgets/test_engine_facade.py``
fails on any other ``policies`` import under ``widgets/`` or ``studio/``, and on a name listed here that
no widget uses.

Why ``api`` and not ``studio_api``: the widgets are reusable on their own in Jupyter, not only inside
the ``studio/`` app, so this is the engine's surface for interactive use, not the app's.

Why lazy (PEP 562 ``__getattr__``): importing this module adds nothing to the ``policies`` package
itself; a name loads its home on first use. A notebook that imports one widget (``widgets.metric_cards`` needs only the formatting
helpers) therefore does not pay for z3, SQLAlchemy or ONNX Runtime, and ``import studio.main`` loads
the same engine modules as when the widgets imported them directly.

Signal kinds are reached only through :class:`Signal` (``Signal.kind("embedding")``), never by class
name: kinds live in their own modules and plugins add more.

The names, grouped by topic (generated from ``GROUPS`` below):
"""

from importlib import import_module

GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "policy model & loading": {
        "policies.model": ("Decision", "Policy", "Routing", "Signal"),
        "policies.model.editor_fields": ("EditorField",),
        "policies.loader": ("dumps_policy", "loads_policy", "revise"),
        "policies.dsl": ("dumps_dsl",),
        "policies.dsl.sync": ("edit_routing", "editable_in_dsl"),
        "policies.yaml_source": ("decode_text", "dump_yaml", "read_file"),
        "policies.ranking": ("static_order",),
    },
    "validation & findings": {
        "policies.errors": ("Finding", "PolicyError", "Severity"),
        "policies.validation": ("validate_policy",),
        "policies.validation.contract": ("ALGORITHM_TYPES", "contract"),
        "policies.validation.pydantic_rules": ("reasoning_family_of",),
    },
    "simulation & results": {
        "policies.simulation.engine": ("Simulator",),
        "policies.simulation.neural": ("NeuralContext",),
        "policies.models_config": ("KIND_ROLES", "ModelsConfig", "dump_models_yaml", "models_from_data"),
        "policies.inference.hf_models": ("describe_model",),
        "policies.signals.base": ("Extractor",),
        "policies.simulation.result": ("SimulationResult",),
        "policies.simulation.report": ("baseline", "decision_label", "served_by"),
        "policies.simulation.distributed.ray_engine": ("simulate_traffic_on_ray",),
        "policies.simulation.distributed.scores": ("ParquetScores", "default_scores_root"),
        "policies.calibration": ("MIN_LABELS", "Fit", "calibrate", "with_thresholds"),
    },
    "comparison & explanation": {
        "policies.simulation.compare": ("Comparison", "compare"),
        "policies.conflicts.diff": ("DiffResult", "diff_policies"),
        "policies.evaluate": ("RouteResult", "leaf_key"),
        "policies.columns": ("fired_column",),
        "policies.simulation.explain": ("Explanation", "Flip", "describe_evidence", "explain", "explain_text"),
    },
    "conflicts & repairs": {
        "policies.conflicts": ("ConflictFinding", "Repair", "Report", "analyze_policy"),
        "policies.conflicts.analysis": ("VALIDATOR_KINDS", "profile_of_path"),
        "policies.conflicts.repairs": ("fill_repairs",),
        "policies.conflicts.findings": ("group_findings",),
        "policies.conflicts.intent": ("ACCEPTABLE", "accept_overlap"),
        "policies.conflicts.traffic": ("weigh_findings",),
    },
    "export & bundles": {
        "policies.export": ("FORMATS", "render_export", "write_export"),
        "policies.export_gate": ("blocking_errors", "errors_label", "gate_findings", "target_refusals"),
        "policies.bundles": ("PolicyRef", "Verification", "build_bundle", "verify_bundle"),
    },
    "storage": {
        "policies.storage": ("Store",),
    },
    "traffic": {
        "policies.traffic": ("ImportProgress", "ProgressCallback", "TrafficSet", "format_names", "read_sql_traffic",
                             "read_traffic", "sample_traffic"),
    },
    "formatting & labels": {
        "policies.formatting": ("DEFAULT_LABEL", "PASSTHROUGH_LABEL", "ROUTER_LABEL", "ms", "percent", "score", "usd"),
    },
}

HOMES: dict[str, str] = {name: home for homes in GROUPS.values() for home, names in homes.items() for name in names}
__all__ = sorted(HOMES)
if __doc__ is not None:  # None under python -OO
    __doc__ += "".join(f"\n- {topic}: " + ", ".join(n for names in homes.values() for n in names)
                       for topic, homes in GROUPS.items())


def __getattr__(name: str) -> object:
    """Load ``name`` from its home on first use and keep it here, so the next lookup is a plain attribute."""
    if name not in HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
