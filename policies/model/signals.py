"""The signal kind base: what every ``routing.signals.<collection>`` kind is, and the kinds' registry.

A kind is a :class:`Signal` subclass; defining one registers it by collection and leaf type
(``Signal.kind(leaf_type)`` / ``Signal.for_collection(name)`` are the only lookups; registering a
duplicate is an import-time error). Every kind module is an entry point of one group
(:mod:`.plugins`): the built-in ones, one per module in :mod:`policies.signals`, are this package's
own and are loaded at the end of this module, so :class:`Signals` has a field per built-in
collection; other installed packages' kinds are loaded when a policy's signals are first read. Field types are
deliberately permissive (ranges are the validator's job, so a bad threshold becomes a located
finding instead of a load failure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from pydantic import create_model, model_validator

from .base import SpecModel
from .editor_fields import EditorField
from .plugins import load_builtin_kinds, load_signal_kinds

if TYPE_CHECKING:
    from ..errors import Finding
    from ..signals.contest import Contest
    from ..signals.settings import SignalSettings
    from .rules import RuleNode


class Signal(SpecModel):
    collection: ClassVar[str] = ""
    leaf_type: ClassVar[str] = ""
    # True for signals whose value comes from a model (classifier, encoder) rather than from text rules.
    neural: ClassVar[bool] = False
    # Fields vllm-sr requires (its pydantic layer), checked by the validator.
    required: ClassVar[tuple[str, ...]] = ()
    # Whether the signal has a score compared against a threshold in [0, 1].
    unit_threshold: ClassVar[bool] = False
    # One line on what the kind detects, and the builder's form for it (beyond name and description);
    # ``name_options``: the detector's labels when the name must be one of them.
    summary: ClassVar[str] = ""
    editor_fields: ClassVar[tuple[EditorField, ...]] = ()
    name_options: ClassVar[tuple[str, ...]] = ()
    # Whether a leaf's name matches the signal's case-insensitively.
    fold_names: ClassVar[bool] = False
    # Why the simulation cannot compute the kind (no extractor): what the router needs that we lack.
    offline_reason: ClassVar[str] = ""
    # The threshold in effect when the config leaves ``threshold`` out (the router's default for the
    # kind; see the class docstring for its source), and whether a written 0 also means "left out"
    # (the router's ``WithDefaults`` treats Go's zero value so). Read it only through
    # :meth:`effective_threshold`: the simulation, the solver, explanations and sliders all do.
    threshold_default: ClassVar[float] = 0.0
    zero_threshold_is_unset: ClassVar[bool] = False

    _registry: ClassVar[dict[str, type["Signal"]]] = {}
    _by_leaf: ClassVar[dict[str, type["Signal"]]] = {}

    name: str
    description: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.collection:
            return
        if cls.collection in Signal._registry:
            raise TypeError(f"signal collection {cls.collection!r} registered twice")
        Signal._registry[cls.collection] = cls
        if cls.leaf_type:
            if cls.leaf_type in Signal._by_leaf:
                raise TypeError(f"signal leaf type {cls.leaf_type!r} registered twice")
            Signal._by_leaf[cls.leaf_type] = cls

    @classmethod
    def collections(cls) -> dict[str, type["Signal"]]:
        load_signal_kinds()
        return dict(cls._registry)

    @classmethod
    def leaf_types(cls) -> dict[str, type["Signal"]]:
        load_signal_kinds()
        return dict(cls._by_leaf)

    @classmethod
    def kind(cls, leaf_type: str) -> type["Signal"] | None:
        load_signal_kinds()
        return cls._by_leaf.get(leaf_type)

    @classmethod
    def for_collection(cls, collection: str) -> type["Signal"] | None:
        load_signal_kinds()
        return cls._registry.get(collection)

    @classmethod
    def leaf_base(cls, name: str) -> str:
        """The signal name inside a leaf name (complexity leaves add ``:level``)."""
        return name

    @classmethod
    def declared_for(cls, declared: list["Signal"], name: str) -> "Signal | None":
        """The declared signal a decision leaf naming ``name`` points at (vllm-sr 0.4.0's reference
        rule; kinds with ``fold_names`` compare case-insensitively)."""
        base = cls.leaf_base(name)
        return next((s for s in declared if s.name == base or (cls.fold_names and s.name.lower() == base.lower())),
                    None)

    @classmethod
    def evaluated_for(cls, declared: list["Signal"], name: str) -> "Signal | None":
        """The signal the router evaluates for that leaf: the declared one, unless the kind's runtime
        output is named otherwise (role bindings emit their role)."""
        return cls.declared_for(declared, name)

    @classmethod
    def reference_findings(cls, declared: list["Signal"], name: str, decision: str,
                           path: tuple[str | int, ...]) -> Iterable[Finding]:
        """Findings on decision ``decision``'s leaf naming ``name`` (at ``path``) among the kind's
        ``declared`` signals, beyond the shared reference check; none by default."""
        return ()

    def referenced_names(self) -> list[str]:
        """Names a decision leaf may use for this signal (complexity adds ``:level``)."""
        return [self.name]

    def threshold_range(self) -> tuple[float, float] | None:
        """The range a written ``threshold`` is meaningful in (None: the kind has no bounded score)."""
        return (0.0, 1.0) if self.unit_threshold else None

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        """Value findings for validation, located under ``path``: here a threshold outside the kind's
        score range; kinds add their own (and call this)."""
        from ..errors import Finding, Severity

        value, bounds = getattr(self, "threshold", None), self.threshold_range()
        if value is None or bounds is None or bounds[0] <= value <= bounds[1]:
            return
        low, high = bounds
        never = value > high
        yield Finding("threshold-range", Severity.ERROR,
                      f"{self.collection} signal '{self.name}' threshold {value} is outside [{low:g}, {high:g}], so it "
                      f"{'never' if never else 'always'} fires (vllm-sr 0.4.0 accepts it)", path=path + ("threshold",),
                      suggestion=f"use a value between {low:g} and {high:g}")

    def solver_atom(self, leaf: RuleNode, solver: Any) -> tuple[Any, list[str]] | None:
        """How the solver sees a leaf of this kind: a z3 formula over ``solver.pool``
        (:class:`policies.conflicts.pool.VarPool`; ``solver.compile_gate`` compiles a nested rule
        tree) and the pool numbers whose maximum is the leaf's confidence (empty when crisp). None:
        the solver cannot model the leaf and treats it as an opaque flag it reports."""
        return None

    @classmethod
    def contest(cls, declared: list["Signal"], settings: "SignalSettings") -> "Contest | None":
        """How the kind's own matches compete within one request (:mod:`policies.signals.contest`),
        given every ``declared`` signal of the kind and the config-wide ``settings``. None (the
        default): each signal fires on its own rule."""
        return None

    def among(self, declared: list["Signal"], settings: "SignalSettings") -> "Signal":
        """This signal as the router evaluates it beside the kind's other ``declared`` signals and the
        config-wide ``settings``, for kinds whose own rule depends on them (a domain rule's labels);
        the signal itself by default. The simulation and the solver both evaluate what this returns."""
        return self

    def solver_confidence(self, score: Any) -> Any:
        """The leaf's confidence as a z3 term, from its score term (by default the score itself)."""
        return score

    def effective_threshold(self) -> float:
        """The ``threshold`` the router applies: the written one, else the kind's default."""
        value = getattr(self, "threshold", None)
        if value is None or (self.zero_threshold_is_unset and value == 0):
            return self.threshold_default
        return float(value)


BUILTIN_KINDS = load_builtin_kinds()  # this package's own entry points: the kinds living in policies.signals

_SignalsBase = create_model(  # a list field per built-in collection, from the registry; plugins' arrive as extras
    "_SignalsBase",
    __base__=SpecModel,
    **{name: (list[kind] | None, None) for name, kind in Signal._registry.items()},  # type: ignore[valid-type]
)


class Signals(_SignalsBase):  # type: ignore[misc, valid-type]
    """``routing.signals``: every collection is a list of its kind.

    Built-in collections are fields; a plugin's collection (:mod:`.plugins`) arrives as an extra
    key and is parsed into its kind here, so it is typed, located and round-trips like the others.
    """

    @model_validator(mode="after")
    def _plugin_collections(self) -> "Signals":
        extra = self.__pydantic_extra__ or {}
        for collection, items in list(extra.items()):
            kind = Signal.for_collection(collection)
            if kind is not None and collection not in type(self).model_fields and isinstance(items, list):
                extra[collection] = [kind.model_validate(item) for item in items]
        return self

    def items(self) -> list[tuple[str, Signal]]:
        """(collection, signal) for every declared signal, in collection order."""
        out: list[tuple[str, Signal]] = []
        for collection in Signal.collections():
            for signal in getattr(self, collection) or []:
                out.append((collection, signal))
        return out

    def find(self, leaf_type: str, name: str) -> Signal | None:
        """The declared signal a decision leaf ``{type, name}`` names: what references point at."""
        kind = Signal.kind(leaf_type)
        return kind.declared_for(list(getattr(self, kind.collection) or []), name) if kind else None

    def evaluated(self, leaf_type: str, name: str) -> Signal | None:
        """The signal the router evaluates for the leaf (:meth:`Signal.evaluated_for`)."""
        kind = Signal.kind(leaf_type)
        return kind.evaluated_for(self.of_kind(leaf_type), name) if kind else None

    def of_kind(self, leaf_type: str) -> list[Signal]:
        """Every declared signal of the kind with this leaf type, in declared order (what the router
        builds that kind's classifier from)."""
        kind = Signal.kind(leaf_type)
        return list(getattr(self, kind.collection) or []) if kind else []
