"""Value checks on signals: thresholds, label sets, token bands, PII types, projections."""

from __future__ import annotations

import re
from typing import Iterator

from ..errors import Finding
from ..labels import FACT_CHECK_LABELS, INPUT_MODALITIES, MMLU_DOMAINS, MODALITY_LABELS, PII_TYPES, USER_FEEDBACK_LABELS
from ..model import Signal
from .base import Context, did_you_mean, error, profile_check, warning
from .contract import PARTITION_SEMANTICS

_TOKENS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")
_NAME_SETS = {"fact_check": FACT_CHECK_LABELS, "user_feedbacks": USER_FEEDBACK_LABELS, "modality": MODALITY_LABELS}


def parse_token_count(value: str | int | float | None) -> int | None:
    """``"32K"`` → 32000, ``"1.5M"`` → 1500000, ``4096`` → 4096; raises ``ValueError`` on anything else."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    match = _TOKENS.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a token count (use e.g. 4096, 32K or 1.5M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(round(float(match.group(1)) * scale))


def _threshold(signal: Signal, collection: str, path: tuple) -> Iterator[Finding]:
    value = getattr(signal, "threshold", None)
    if value is None:
        return
    if collection == "embeddings":
        limit = 2.0 if (signal.negative_candidates or signal.negative_image_candidates) else 1.0
        if not -limit <= value <= limit:
            yield error("threshold-range", f"embedding '{signal.name}' threshold {value} is outside "
                        f"[{-limit:g}, {limit:g}]", path + ("threshold",), "cosine thresholds are usually 0.6..0.9")
    elif signal.unit_threshold and not 0 <= value <= 1:
        yield error("threshold-range", f"{collection} signal '{signal.name}' threshold {value} is outside [0, 1], so it "
                    f"{'never' if value > 1 else 'always'} fires (vllm-sr 0.4.0 accepts it)", path + ("threshold",),
                    "use a probability between 0 and 1")


# Fields each classifier type refuses (vllm-sr 0.4.0 ClassifierSignal).
_CLASSIFIER_REFUSES = {"local": ("model", "instructions", "disable_rationale"),
                       "llm": ("model_path", "use_cpu"),
                       "sequence_classifier": ("model_path", "use_cpu", "instructions", "disable_rationale")}


def _classifier(signal: Signal, path: tuple) -> Iterator[Finding]:
    labels = [str(label) for label in signal.labels or []]
    if len(labels) < 2 or any(":" in label or label != label.strip() or not label for label in labels):
        yield error("classifier-labels", f"classifier '{signal.name}' needs at least two trimmed labels without ':'",
                    path + ("labels",))
    if len(set(labels)) != len(labels):
        yield error("classifier-labels", f"classifier '{signal.name}' lists a label twice", path + ("labels",))
    if signal.type not in _CLASSIFIER_REFUSES:
        yield error("classifier-type", f"classifier type must be one of {', '.join(_CLASSIFIER_REFUSES)}",
                    path + ("type",), did_you_mean(str(signal.type), _CLASSIFIER_REFUSES))
        return
    spec = signal.to_spec()
    for field in _CLASSIFIER_REFUSES[signal.type]:
        if spec.get(field):
            yield error("classifier-field", f"{signal.type} classifier '{signal.name}' does not accept '{field}'",
                        path + (field,), f"remove {field}")
    if signal.type == "llm" and not spec.get("instructions"):
        yield error("classifier-field", f"llm classifier '{signal.name}' requires instructions", path)


@profile_check
def signal_values(ctx: Context) -> Iterator[Finding]:
    for collection, kind in Signal.collections().items():
        signals = ctx.profile.routing.signals
        for i, signal in enumerate((getattr(signals, collection) or []) if signals else []):
            path = ctx.path("signals", collection, i)
            yield from signal.check(path)
            yield from _threshold(signal, collection, path)
            if collection in _NAME_SETS and signal.name not in _NAME_SETS[collection]:
                labels = _NAME_SETS[collection]
                yield error("unknown-label", f"{collection} signal name '{signal.name}' is not one of the detector's "
                            f"labels ({', '.join(labels)}), so it never fires", path + ("name",),
                            did_you_mean(signal.name, labels))
            if collection == "domains":
                for j, category in enumerate(signal.mmlu_categories or []):
                    if category not in MMLU_DOMAINS:
                        yield error("unknown-domain", f"mmlu category '{category}' is not one of the 14 MMLU-Pro labels",
                                    path + ("mmlu_categories", j), did_you_mean(category, MMLU_DOMAINS))
                if not signal.mmlu_categories and signal.name not in MMLU_DOMAINS:
                    yield warning("domain-no-category", f"domain '{signal.name}' lists no mmlu_categories and its name is "
                                  "not an MMLU label, so the classifier never emits it", path,
                                  "add mmlu_categories: [...]")
            if collection == "pii":
                for j, kind_name in enumerate(signal.pii_types_allowed or []):
                    if kind_name not in PII_TYPES:
                        yield error("unknown-pii-type", f"PII type '{kind_name}' is unknown to the detector, so the "
                                    "allow-list silently does not allow it", path + ("pii_types_allowed", j),
                                    did_you_mean(kind_name, PII_TYPES))
            if collection == "input_modality" and signal.modality not in INPUT_MODALITIES:
                yield error("unknown-label", f"input_modality '{signal.name}' modality must be one of "
                            f"{', '.join(INPUT_MODALITIES)}", path + ("modality",))
            if collection == "context":
                try:
                    low, high = parse_token_count(signal.min_tokens), parse_token_count(signal.max_tokens)
                except ValueError as exc:
                    yield error("token-count", str(exc), path)
                    continue
                if low is not None and high is not None and low > high:
                    yield error("token-band", f"context '{signal.name}': min_tokens {signal.min_tokens} > max_tokens "
                                f"{signal.max_tokens}", path, "swap the bounds")
            if collection == "classifiers":
                yield from _classifier(signal, path)


@profile_check
def projections(ctx: Context) -> Iterator[Finding]:
    routing = ctx.profile.routing
    if routing.projections is None:
        return
    by_name: dict[str, list[str]] = {}
    for collection, signal in routing.all_signals():
        by_name.setdefault(signal.name, []).append(collection)
    for i, part in enumerate(routing.projections.partitions or []):
        path = ctx.path("projections", "partitions", i)
        if part.semantics is not None and part.semantics not in PARTITION_SEMANTICS:
            yield error("partition-semantics", f"partition '{part.name}' semantics must be one of "
                        f"{', '.join(PARTITION_SEMANTICS)}", path + ("semantics",))
        if part.temperature is not None and part.temperature <= 0:
            yield error("partition-temperature", "temperature must be > 0", path + ("temperature",))
        kinds = set()
        for j, member in enumerate(part.members or []):
            found = [c for c in by_name.get(member, []) if c in ("domains", "embeddings")]
            if not found:
                yield error("dangling-reference", f"partition '{part.name}' member '{member}' is not a declared domain "
                            "or embedding signal", path + ("members", j), did_you_mean(member, by_name))
            kinds.update(found)
        if len(kinds) > 1:
            yield error("partition-types", f"partition '{part.name}' mixes domain and embedding members", path)
        if not part.default:
            yield error("partition-default", f"partition '{part.name}' needs a default member", path)
        elif part.members and part.default not in part.members:
            yield error("partition-default", f"partition default '{part.default}' is not one of its members",
                        path + ("default",))
    scores = {s.name for s in routing.projections.scores or []}
    for i, mapping in enumerate(routing.projections.mappings or []):
        if mapping.source not in scores:
            yield error("dangling-reference", f"mapping '{mapping.name}' source '{mapping.source}' is not a declared "
                        "score", ctx.path("projections", "mappings", i, "source"), did_you_mean(str(mapping.source), scores))
