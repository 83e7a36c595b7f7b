"""Every validation rule: a failing input (a one-point mutation of a clean config) and the passing base.

The base config validates with zero findings, so each rule's passing case is the unmutated base;
where a rule has a natural "fixed" form, that variant is asserted clean too.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
import yaml

from policies.errors import Severity
from policies.loader import loads_policy
from policies.validation import MAX_RULE_DEPTH, validate_policy

from ..conftest import CONFIGS

BASE = yaml.safe_load((CONFIGS / "all_signals.yaml").read_text())
Spec = dict[str, Any]


def decision(spec: Spec, name: str) -> Spec:
    return next(d for d in spec["routing"]["decisions"] if d["name"] == name)


def signal(spec: Spec, collection: str, index: int = 0) -> Spec:
    return spec["routing"]["signals"][collection][index]


def deep_tree(depth: int) -> Spec:
    node: Spec = {"type": "keyword", "name": "urgent"}
    for _ in range(depth):
        node = {"operator": "AND", "conditions": [node]}
    return node


# (id, mutation, expected code, expected severity, fixed variant or None)
CASES: list[tuple[str, Callable[[Spec], None], str, Severity, Callable[[Spec], None] | None]] = [
    ("duplicate decision name", lambda s: s["routing"]["decisions"].append(dict(decision(s, "guard"))),
     "duplicate-decision", Severity.ERROR, None),
    ("duplicate recipe name", lambda s: s.update(recipes=[{"name": "r", "routing": {}}, {"name": "r", "routing": {}}]),
     "duplicate-recipe", Severity.ERROR,
     lambda s: s.update(recipes=[{"name": "r", "routing": {}}, {"name": "r2", "routing": {}}])),
    ("entrypoint to a missing recipe", lambda s: s.update(recipes=[{"name": "support", "routing": {}}],
                                                          entrypoints=[{"model_names": ["MoM"], "recipe": "suport"}]),
     "unknown-recipe", Severity.ERROR, lambda s: s.update(recipes=[{"name": "support", "routing": {}}],
                                                          entrypoints=[{"model_names": ["MoM"], "recipe": "support"}])),
    ("root XOR", lambda s: decision(s, "mixed")["rules"].update(operator="XOR"), "rule-operator", Severity.ERROR,
     lambda s: decision(s, "mixed")["rules"].update(operator="OR")),
    ("nested unknown operator", lambda s: decision(s, "hard_math")["rules"]["conditions"][2].update(operator="NAND"),
     "rule-operator", Severity.ERROR, None),
    ("NOT with two children", lambda s: decision(s, "hard_math")["rules"]["conditions"][2]["conditions"].append(
        {"type": "domain", "name": "math"}), "not-arity", Severity.ERROR, None),
    ("leaf and composite", lambda s: decision(s, "guard")["rules"].update(type="keyword", name="urgent"),
     "rule-shape", Severity.ERROR, None),
    ("OR with no conditions (dead)", lambda s: decision(s, "guard").update(rules={"operator": "OR", "conditions": []}),
     "dead-decision", Severity.ERROR, lambda s: decision(s, "guard").update(rules={"operator": "AND", "conditions": []})),
    ("rule tree too deep", lambda s: decision(s, "guard").update(rules=deep_tree(MAX_RULE_DEPTH + 1)), "rule-bounds",
     Severity.ERROR, lambda s: decision(s, "guard").update(rules=deep_tree(MAX_RULE_DEPTH - 1))),
    ("on_unknown with on_error", lambda s: decision(s, "guard")["rules"].update(on_unknown="match", on_error="match"),
     "on-unknown-on-error", Severity.ERROR, lambda s: decision(s, "guard")["rules"].update(on_unknown="match")),
    ("undefined signal", lambda s: decision(s, "guard")["rules"]["conditions"][0].update(name="injectoin"),
     "dangling-reference", Severity.ERROR, None),
    ("unknown condition type", lambda s: decision(s, "guard")["rules"]["conditions"][0].update(type="jailbrake"),
     "unknown-signal-type", Severity.ERROR, None),
    ("complexity without level", lambda s: decision(s, "hard_math")["rules"]["conditions"][1].update(name="difficulty"),
     "dangling-reference", Severity.ERROR, None),
    ("undefined model", lambda s: decision(s, "guard")["modelRefs"][0].update(model="smal"), "unknown-model",
     Severity.ERROR, None),
    ("undefined default model", lambda s: s["providers"]["defaults"].update(model="tiny"), "unknown-model",
     Severity.ERROR, None),
    ("missing use_reasoning", lambda s: decision(s, "guard")["modelRefs"][0].pop("use_reasoning"),
     "missing-use-reasoning", Severity.WARNING, None),
    ("missing priority", lambda s: decision(s, "guard").pop("priority"), "missing-priority", Severity.ERROR, None),
    ("unsupported mmlu category", lambda s: signal(s, "domains")["mmlu_categories"].append("computer_science"),
     "unknown-domain", Severity.ERROR, lambda s: signal(s, "domains")["mmlu_categories"].append("computer science")),
    ("jailbreak threshold > 1", lambda s: signal(s, "jailbreak").update(threshold=1.5), "threshold-range",
     Severity.ERROR, lambda s: signal(s, "jailbreak").update(threshold=1.0)),
    ("pii threshold < 0", lambda s: signal(s, "pii").update(threshold=-0.1), "threshold-range", Severity.ERROR, None),
    ("embedding threshold > 1", lambda s: signal(s, "embeddings").update(threshold=1.2), "threshold-range",
     Severity.ERROR, None),
    ("unknown PII type", lambda s: signal(s, "pii")["pii_types_allowed"].append("EMAIL"), "unknown-pii-type",
     Severity.ERROR, lambda s: signal(s, "pii")["pii_types_allowed"].append("PHONE_NUMBER")),
    ("fact_check name outside labels", lambda s: signal(s, "fact_check").update(name="check_facts"), "unknown-label",
     Severity.ERROR, None),
    ("context min > max", lambda s: signal(s, "context").update(min_tokens="300K"), "token-band", Severity.ERROR, None),
    ("context not a token count", lambda s: signal(s, "context").update(max_tokens="lots"), "token-count",
     Severity.ERROR, lambda s: signal(s, "context").update(max_tokens="1.5M")),
    ("unused signal", lambda s: s["routing"]["signals"]["keywords"].append({"name": "spare", "keywords": ["x"]}),
     "unused-signal", Severity.WARNING, None),
    ("decision without models", lambda s: decision(s, "mixed").pop("modelRefs"), "no-model-refs", Severity.WARNING, None),
    ("model without model card", lambda s: s["routing"]["modelCards"].pop(), "no-model-card", Severity.WARNING, None),
    ("duplicate signal", lambda s: s["routing"]["signals"]["keywords"].append(dict(signal(s, "keywords"))),
     "duplicate-signal", Severity.ERROR, None),
    ("missing domain description", lambda s: signal(s, "domains").pop("description"), "missing-field",
     Severity.ERROR, None),
    ("unknown top-level key", lambda s: s.update(rooting={}), "unknown-field", Severity.ERROR, None),
    ("unknown decision key", lambda s: decision(s, "guard").update(prio=3), "unknown-field", Severity.ERROR, None),
    ("unknown signal collection", lambda s: s["routing"]["signals"].update(keyword=[]), "unknown-signal-type",
     Severity.ERROR, None),
    ("algorithm block mismatch", lambda s: decision(s, "guard").update(
        algorithm={"type": "static", "confidence": {"threshold": 0.5}}), "algorithm-block", Severity.ERROR,
     lambda s: decision(s, "guard").update(algorithm={"type": "confidence", "confidence": {"threshold": 0.5}})),
    ("removed algorithm", lambda s: decision(s, "guard").update(algorithm={"type": "elo"}), "algorithm-removed",
     Severity.ERROR, None),
    ("unknown plugin", lambda s: decision(s, "guard")["plugins"].append({"type": "fast_reply", "configuration": {}}),
     "plugin-type", Severity.ERROR, None),
    ("per-decision pii plugin", lambda s: decision(s, "guard")["plugins"].append({"type": "pii", "configuration": {}}),
     "plugin-removed", Severity.ERROR, None),
    ("negative price", lambda s: s["providers"]["models"][0]["pricing"].update(prompt_per_1m=-1), "negative-price",
     Severity.ERROR, None),
    ("negative priority", lambda s: decision(s, "guard").update(priority=-5), "negative-priority", Severity.WARNING,
     None),
    ("wrong version", lambda s: s.update(version="v0.4"), "version", Severity.ERROR, None),
    ("classifier leaf without label", lambda s: decision(s, "mixed")["rules"]["conditions"][13].pop("label"),
     "classifier-label", Severity.ERROR, None),
    ("reasoning family and inline", lambda s: s["providers"]["models"][0]["reasoning"].update(type="reasoning_effort"),
     "reasoning-shape", Severity.ERROR, None),
    ("model without backend", lambda s: s["providers"]["models"][0].pop("backend_refs"), "no-backend",
     Severity.ERROR, None),
]


def codes(spec: Spec) -> dict[str, Severity]:
    policy = loads_policy(yaml.safe_dump(spec, sort_keys=False), "case.yaml")
    return {f.code: f.severity for f in validate_policy(policy)}


def test_base_config_is_clean():
    assert codes(BASE) == {}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_fails_on_mutation_and_passes_when_fixed(case):
    _, mutate, code, severity, fix = case
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    mutate(spec)
    found = codes(spec)
    assert found.get(code) == severity, found
    if fix is not None:
        fixed = yaml.safe_load(yaml.safe_dump(BASE))
        fix(fixed)
        assert code not in codes(fixed)


def test_findings_carry_file_line_column_and_field():
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    signal(spec, "jailbreak").update(threshold=1.5)
    text = yaml.safe_dump(spec, sort_keys=False)
    finding = next(f for f in validate_policy(loads_policy(text, "p.yaml")) if f.code == "threshold-range")
    assert finding.file == "p.yaml"
    assert text.splitlines()[finding.line - 1].strip().startswith("threshold: 1.5")
    assert finding.field == "routing.signals.jailbreak[0].threshold"
    assert finding.human().startswith(f"p.yaml:{finding.line}:{finding.column}: error: ")
    assert finding.suggestion
