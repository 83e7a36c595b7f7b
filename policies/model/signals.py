"""Signal kinds: one class per ``routing.signals.<collection>``, registered by collection and leaf type.

``Signal.kind(leaf_type)`` / ``Signal.for_collection(name)`` are the only lookups; registering a
duplicate kind is an import-time error. Field types are deliberately permissive (ranges are the
validator's job, so a bad threshold becomes a located finding instead of a load failure).
"""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from pydantic import Field, create_model, model_validator

from ..labels import FACT_CHECK_LABELS, INPUT_MODALITIES, MMLU_DOMAINS, MODALITY_LABELS, PII_TYPES, USER_FEEDBACK_LABELS
from .base import SpecModel
from .editor_fields import EditorField
from .plugins import load_signal_kinds

if TYPE_CHECKING:
    from ..errors import Finding
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

    @staticmethod
    def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
        match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
        return match[0] if match else None

    def referenced_names(self) -> list[str]:
        """Names a decision leaf may use for this signal (complexity adds ``:level``)."""
        return [self.name]

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        """Value findings this kind adds to validation, located under ``path`` (none by default)."""
        return ()

    def solver_atom(self, leaf: RuleNode, pool: Any) -> tuple[Any, list[str]] | None:
        """How the solver sees a leaf of this kind: a z3 formula built with ``pool``
        (:class:`policies.conflicts.pool.VarPool`) and the pool numbers whose maximum is the leaf's
        confidence (empty when crisp); None leaves it to the solver's own encoding of the kind, which
        for a kind it does not know is an opaque flag it reports."""
        return None

    def effective_threshold(self) -> float:
        """The ``threshold`` the router applies: the written one, else the kind's default."""
        value = getattr(self, "threshold", None)
        if value is None or (self.zero_threshold_is_unset and value == 0):
            return self.threshold_default
        return float(value)


class KeywordSignal(Signal):
    collection = "keywords"
    leaf_type = "keyword"
    summary = "Keyword lists matched in the prompt (regex, BM25 or n-gram)."
    editor_fields = (
        EditorField("keywords", "lines"),
        EditorField("operator", "choice", options=("OR", "AND", "NOR")),
        EditorField("case_sensitive", "bool"),
        EditorField("method", "choice", options=("regex", "bm25", "ngram")),
        EditorField("bm25_threshold", "float"),
        EditorField("ngram_threshold", "float"),
        EditorField("ngram_arity", "int"),
        EditorField("fuzzy_match", "bool"),
        EditorField("fuzzy_threshold", "float"),
    )
    operator: str | None = None
    keywords: list[str] = Field(default_factory=list)
    case_sensitive: bool | None = None
    method: str | None = None
    bm25_threshold: float | None = None
    ngram_threshold: float | None = None
    ngram_arity: int | None = None
    fuzzy_match: bool | None = None
    fuzzy_threshold: float | None = None


class EmbeddingSignal(Signal):
    """Fires at aggregated similarity ``>= threshold``; ``threshold`` is required by the router's schema
    and has no default (Go zero value 0: ``EmbeddingRule.SimilarityThreshold`` in
    ``src/semantic-router/pkg/config/signal_config.go``)."""

    collection = "embeddings"
    leaf_type = "embedding"
    summary = "Similarity to candidate phrases (and away from negative ones)."
    editor_fields = (
        EditorField("candidates", "lines"),
        EditorField("threshold", "float", help="cosine similarity that counts as a match"),
        EditorField("negative_candidates", "lines"),
        EditorField("aggregation_method", "choice", options=("max", "mean", "any")),
        EditorField("image_candidates", "lines"),
        EditorField("negative_image_candidates", "lines"),
        EditorField("query_modality", "text"),
        EditorField("prototype_scoring", "yaml"),
    )
    neural = True
    threshold: float | None = None
    candidates: list[str] | None = None
    image_candidates: list[str] | None = None
    negative_candidates: list[str] | None = None
    negative_image_candidates: list[str] | None = None
    aggregation_method: str | None = None
    query_modality: str | None = None
    prototype_scoring: dict[str, Any] | None = None


class DomainSignal(Signal):
    collection = "domains"
    leaf_type = "domain"
    summary = "MMLU-Pro domain classifier labels."
    editor_fields = (
        EditorField("mmlu_categories", "choices", options=MMLU_DOMAINS),
        EditorField("model_scores", "yaml"),
    )
    neural = True
    required = ("description",)
    mmlu_categories: list[str] | None = None
    model_scores: list[dict[str, Any]] | None = None

    def categories(self) -> list[str]:
        """The MMLU labels that make this signal fire (its own name when none are listed)."""
        return list(self.mmlu_categories) if self.mmlu_categories else [self.name]


class FactCheckSignal(Signal):
    collection = "fact_check"
    leaf_type = "fact_check"
    summary = "Fact-check classifier; the name is one of its labels."
    name_options = FACT_CHECK_LABELS
    neural = True
    required = ("description",)


class UserFeedbackSignal(Signal):
    collection = "user_feedbacks"
    leaf_type = "user_feedback"
    summary = "User-feedback classifier; the name is one of its labels."
    name_options = USER_FEEDBACK_LABELS
    neural = True
    required = ("description",)


class ReaskSignal(Signal):
    """Defaults from ``ReaskRule.WithDefaults`` (``src/semantic-router/pkg/config/signal_config.go``):
    threshold 0.8 and ``lookback_turns`` 1, a written 0 meaning unset for both."""

    collection = "reasks"
    leaf_type = "reask"
    summary = "The user asks again: similarity to recent turns."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("lookback_turns", "int"),
    )
    neural = True
    unit_threshold = True
    threshold_default = 0.8
    zero_threshold_is_unset = True
    lookback_default: ClassVar[int] = 1

    def effective_lookback(self) -> int:
        return self.lookback_turns or self.lookback_default
    threshold: float | None = None
    lookback_turns: int | None = None


class PreferenceSignal(Signal):
    """``threshold`` is optional in the router's schema; its preference classifier's own fallback was not
    found in the router's source, so an unset threshold is 0.5 here: an assumption, but one value for
    the simulation, the solver and explanations alike."""

    threshold_default = 0.5
    collection = "preferences"
    leaf_type = "preference"
    summary = "Preference examples matched by an encoder."
    editor_fields = (
        EditorField("examples", "lines"),
        EditorField("threshold", "float"),
    )
    neural = True
    unit_threshold = True
    required = ("description",)
    examples: list[str] | None = None
    threshold: float | None = None


class LanguageSignal(Signal):
    """Detector confidence threshold; unset (0) is the classifier's built-in 0.3 (``LanguageRule`` in
    ``src/semantic-router/pkg/config/signal_config.go``)."""

    collection = "language"
    leaf_type = "language"
    summary = "Detected prompt language."
    editor_fields = (
        EditorField("threshold", "float"),
    )
    required = ("description",)
    unit_threshold = True
    threshold_default = 0.3
    zero_threshold_is_unset = True
    threshold: float | None = None


class ContextSignal(Signal):
    collection = "context"
    leaf_type = "context"
    summary = "Prompt length band in tokens."
    editor_fields = (
        EditorField("min_tokens", "tokens"),
        EditorField("max_tokens", "tokens"),
    )
    min_tokens: str | int | None = None
    max_tokens: str | int | None = None


def _predicate_bounds(predicate: dict[str, Any] | None) -> dict[str, float]:
    """The numeric ``{gt, gte, lt, lte}`` bounds of a ``NumericPredicate`` (other keys ignored)."""
    return {k: float(v) for k, v in (predicate or {}).items()
            if k in ("gt", "gte", "lt", "lte") and isinstance(v, (int, float)) and not isinstance(v, bool)}


class StructureSignal(Signal):
    """A count, presence, density or ordered sequence over the prompt (the router's ``StructureRule``,
    ``src/semantic-router/pkg/config/config.go``), evaluated as its ``StructureClassifier``
    (``pkg/classification/structure_classifier.go``; see ``policies/simulation/signals/structure.py``)."""

    collection = "structure"
    leaf_type = "structure"
    summary = "Structural features of the request (code blocks, lists...)."
    editor_fields = (
        EditorField("feature", "yaml"),
        EditorField("predicate", "yaml"),
    )
    # Feature types whose value is 0 or 1; ``density`` is a real, ``count`` an integer.
    flag_features: ClassVar[frozenset[str]] = frozenset({"exists", "sequence"})
    value_features: ClassVar[frozenset[str]] = frozenset({"count", "density"}) | flag_features
    feature: dict[str, Any] | None = None
    predicate: dict[str, Any] | None = None

    def firing_bounds(self) -> dict[str, float]:
        """Bounds the feature value must meet to fire: the predicate's, ``> 0`` without one
        (``predicateMatches``; ``exists`` is 0/1 and still read through the predicate)."""
        return _predicate_bounds(self.predicate) or {"gt": 0.0}

    def solver_atom(self, leaf: RuleNode, pool: Any) -> tuple[Any, list[str]] | None:
        """The feature value as a solver number (one per feature type and source, so two signals
        over the same measure share it), bounded by :meth:`firing_bounds`. The router's rule that a
        blank prompt never fires is not modelled."""
        feature = self.feature or {}
        kind = str(feature.get("type") or "")
        if kind not in self.value_features:
            return None
        source = json.dumps(feature.get("source") or {}, sort_keys=True)
        real = kind == "density"
        var = pool.number(f"structure:{kind}:{source}", "real" if real else "int", "density" if real else "count",
                          f"{kind} of {source}", 1, low=0, high=1 if kind in self.flag_features else None)
        return pool.interval(var, self.firing_bounds()), []


class ComplexitySignal(Signal):
    """``threshold`` is the symmetric margin (hard above +t, easy below −t); omitted and 0 are the same:
    0 (``ComplexityRule.EffectiveBoundaries``, ``src/semantic-router/pkg/config/signal_config.go`` and
    its complexity boundaries file)."""

    collection = "complexity"
    leaf_type = "complexity"
    summary = "Easy / medium / hard by contrast with example prompts (leaves use name:level)."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("hard", "yaml"),
        EditorField("easy", "yaml"),
        EditorField("composer", "yaml"),
        EditorField("prototype_scoring", "yaml"),
    )
    neural = True
    unit_threshold = True
    threshold: float | None = None
    hard: dict[str, Any] | None = None
    easy: dict[str, Any] | None = None
    composer: dict[str, Any] | None = None
    prototype_scoring: dict[str, Any] | None = None
    hard_above: float | None = None
    easy_below: float | None = None
    hard_below: float | None = None
    easy_above: float | None = None

    def referenced_names(self) -> list[str]:
        return [f"{self.name}:{level}" for level in ("easy", "medium", "hard")]

    def boundaries(self) -> tuple[float, float, bool]:
        """``(hard_at, easy_at, higher_is_harder)`` over the margin hard − easy, as the router resolves
        them: an explicit pair names its direction, else ±threshold (mixed or half pairs are the
        validator's errors; here the written halves win, the threshold fills the rest)."""
        if self.hard_below is not None or self.easy_above is not None:
            t = self.effective_threshold()
            return (self.hard_below if self.hard_below is not None else -t,
                    self.easy_above if self.easy_above is not None else t, False)
        t = self.effective_threshold()
        return (self.hard_above if self.hard_above is not None else t,
                self.easy_below if self.easy_below is not None else -t, True)


class ModalitySignal(Signal):
    collection = "modality"
    leaf_type = "modality"
    summary = "Output modality classifier; the name is one of its labels."
    name_options = MODALITY_LABELS


class AuthzSignal(Signal):
    collection = "role_bindings"
    leaf_type = "authz"
    summary = "Role bindings: who the caller is."
    editor_fields = (
        EditorField("role", "text"),
        EditorField("subjects", "yaml"),
    )
    role: str | None = None
    subjects: list[dict[str, Any]] | None = None


class JailbreakSignal(Signal):
    """``threshold`` is required by the router's schema, no default (Go zero value 0: ``JailbreakRule``
    in ``src/semantic-router/pkg/config/signal_config.go``)."""

    collection = "jailbreak"
    leaf_type = "jailbreak"
    summary = "Jailbreak detector score and patterns."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("method", "text"),
        EditorField("include_history", "bool"),
        EditorField("direction", "text"),
        EditorField("jailbreak_patterns", "lines"),
        EditorField("benign_patterns", "lines"),
    )
    neural = True
    unit_threshold = True
    threshold: float | None = None
    method: str | None = None
    include_history: bool | None = None
    direction: str | None = None
    jailbreak_patterns: list[str] | None = None
    benign_patterns: list[str] | None = None


class PiiSignal(Signal):
    """An entity counts at confidence ``>= threshold`` (``collectPIIEntityTypes``,
    ``src/semantic-router/pkg/classification/classifier_pii_ops.go``); ``threshold`` is required by the
    schema, no default (Go zero value 0: ``PIIRule``, ``pkg/config/signal_config.go``)."""

    collection = "pii"
    leaf_type = "pii"
    summary = "PII detector; fires on PII types not in the allow-list."
    editor_fields = (
        EditorField("threshold", "float"),
        EditorField("pii_types_allowed", "choices", label="PII types allowed", options=PII_TYPES),
        EditorField("include_history", "bool"),
    )
    neural = True
    unit_threshold = True
    threshold: float | None = None
    pii_types_allowed: list[str] | None = None
    include_history: bool | None = None


class KbSignal(Signal):
    collection = "kb"
    leaf_type = "kb"
    summary = "Knowledge-base match."
    editor_fields = (
        EditorField("kb", "text"),
        EditorField("target", "yaml"),
        EditorField("match", "text"),
    )
    neural = True
    kb: str | None = None
    target: dict[str, Any] | None = None
    match: str | None = None


class ConversationSignal(Signal):
    """A count over the request's messages, tools and tool calls (the router's ``ConversationRule``,
    ``src/semantic-router/pkg/config/config.go``), evaluated as its ``evaluateConversationSignal``
    (``pkg/classification/classifier_signal_conversation.go``; see
    ``policies/simulation/signals/conversation.py``)."""

    collection = "conversation"
    leaf_type = "conversation"
    summary = "Conversation features (turn count, tools...)."
    editor_fields = (
        EditorField("feature", "yaml"),
        EditorField("predicate", "yaml"),
    )
    # Sources whose count is 0 or 1 (the router's boolean facts).
    flag_sources: ClassVar[frozenset[str]] = frozenset(
        {"tool_choice_required", "tool_choice_none", "active_tool_loop", "flow_tool_state"})
    feature: dict[str, Any] | None = None
    predicate: dict[str, Any] | None = None

    def firing_bounds(self) -> dict[str, float]:
        """Bounds the count must meet to fire: ``exists`` is count > 0 and reads no predicate; a count
        meets the predicate's bounds, and always fires without any (``conversationPredicateMatches``)."""
        if (self.feature or {}).get("type") == "exists":
            return {"gt": 0.0}
        return _predicate_bounds(self.predicate)

    def solver_atom(self, leaf: RuleNode, pool: Any) -> tuple[Any, list[str]] | None:
        """The source's count as a solver integer (one per source, shared by every signal over it),
        bounded by :meth:`firing_bounds`."""
        source = (self.feature or {}).get("source") or {}
        flag = source.get("type") in self.flag_sources or (
            source.get("type") == "message" and source.get("role") == "developer")
        text = json.dumps(source, sort_keys=True)
        var = pool.number(f"conversation:{text}", "int", "count", f"count of {text}", 1, low=0,
                          high=1 if flag else None)
        return pool.interval(var, self.firing_bounds()), []


class EventSignal(Signal):
    """Event metadata signal; ``temporal`` is a flag (vllm-sr 0.4.0 schema ``EventRule`` and the
    router's CRD ``../shared/data/vllm-sr-upstream/crds/vllm.ai_intelligentroutes.yaml``: boolean)."""

    collection = "events"
    leaf_type = "event"
    summary = "Platform events attached to the request."
    editor_fields = (
        EditorField("event_types", "lines"),
        EditorField("severities", "lines"),
        EditorField("action_codes", "lines"),
        EditorField("temporal", "bool"),
    )
    event_types: list[str] | None = None
    severities: list[str] | None = None
    action_codes: list[str] | None = None
    temporal: bool | None = None


class MetadataSignal(Signal):
    collection = "metadata"
    leaf_type = "metadata"
    summary = "A request metadata key and a predicate on its value."
    editor_fields = (
        EditorField("key", "text"),
        EditorField("predicate", "yaml"),
    )
    key: str | None = None
    predicate: dict[str, Any] | None = None


class ClassifierSignal(Signal):
    collection = "classifiers"
    leaf_type = "classifier"
    summary = "A custom classifier; leaves name one of its labels."
    editor_fields = (
        EditorField("type", "choice", options=("local", "llm", "sequence_classifier")),
        EditorField("labels", "lines"),
        EditorField("model", "text"),
        EditorField("model_path", "text"),
        EditorField("instructions", "text"),
    )
    neural = True
    type: str | None = None
    model: str | None = None
    model_path: str | None = None
    labels: list[str] | None = None
    instructions: str | None = None


class SafetySignal(Signal):
    collection = "safety"
    leaf_type = "safety"
    summary = "Safety classifier with unsafe labels and a threshold."
    editor_fields = (
        EditorField("model", "text"),
        EditorField("labels", "lines"),
        EditorField("unsafe_labels", "lines"),
        EditorField("threshold", "float"),
        EditorField("hazard", "yaml"),
    )
    neural = True
    unit_threshold = True
    model: str | None = None
    labels: list[str] | None = None
    unsafe_labels: list[str] | None = None
    threshold: float | None = None
    hazard: dict[str, Any] | None = None


class InputModalitySignal(Signal):
    collection = "input_modality"
    leaf_type = "input_modality"
    summary = "Input modality of the request."
    editor_fields = (
        EditorField("modality", "choice", options=INPUT_MODALITIES),
    )
    modality: str | None = None


class HallucinationSignal(Signal):
    """Response-stage only: declared in config, never referenceable from a decision."""

    collection = "hallucination"
    leaf_type = ""
    neural = True
    use_nli: bool | None = None


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
        """The signal a decision leaf ``{type, name}`` refers to (``name:level`` for complexity)."""
        kind = Signal.kind(leaf_type)
        if kind is None:
            return None
        base = name.split(":", 1)[0] if leaf_type == "complexity" else name
        fold = kind.collection in {"metadata", "classifiers", "input_modality", "safety"}
        for signal in getattr(self, kind.collection) or []:
            if signal.name == base or (fold and signal.name.lower() == base.lower()):
                return signal
        return None
