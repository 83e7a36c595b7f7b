"""Differential test: whatever vllm-sr 0.4.0 rejects, our validator rejects too.

Each valid canonical fixture is mutated at one point at a time (a deterministic, seeded list:
dropped keys, wrong types, out-of-range numbers, bad enum values, unknown keys at every depth,
duplicate names, dangling references, broken rule trees, reasoning settings, padded names). Both
validators read the same file in this process; vllm-sr is imported once, with PyYAML's C loader.
A mutation vllm-sr rejects and we accept is a failure unless it is listed in ``KNOWN_GAPS``.
Run: ``python -m pytest tests/policies/validation/test_differential_vllm_sr.py -q -s``.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from policies.errors import PolicyError, Severity
from policies.loader import load_policy
from policies.validation import validate_policy
from policies import vllm_sr_check

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not vllm_sr_check.available(), reason="needs the vllm-sr==0.4.0 test dependency")]

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "configs").glob("*.yaml")) + sorted(
    (ROOT / "sample_data" / "policies").glob("*.yaml"))
SEED = 20260927
PER_KIND = 3  # mutations sampled per kind per fixture: ~600 in all, ~2.5 minutes on 2 shared cores

# vllm-sr rules we do not mirror, as (mutation-id regex, reason). Keep short and explained.
KNOWN_GAPS: list[tuple[str, str]] = [
    (r"@providers\.models\.\d+\.backend_refs\.\d+\.(endpoint|base_url|protocol)$",
     "provider projection (cli/catalog_provider_projection.py): whether a backend needs endpoint/base_url, and "
     "which URL/port/protocol forms it takes, depends on each catalog provider's defaults and protocols; "
     "mirroring it means vendoring the 1.4 MB provider catalog"),
    (r"^quoted-scalar@",
     "our pydantic model coerces quoted numbers and booleans ('300' -> 300, 'true' -> True) on load, so the schema "
     "check sees the coerced value; needs strict SpecModel fields or the raw document kept on the Policy"),
    (r"algorithm\.workflows\.roles",
     "workflows role contracts (cli/validator_workflows.py: role names, models, final model) are not mirrored"),
]

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mutation:
    kind: str
    path: Path_
    apply: Callable[[Any], Any]  # takes the document, returns the mutated document

    @property
    def id(self) -> str:
        return f"{self.kind}@{'.'.join(map(str, self.path))}"


def _walk(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))


def _get(doc: Any, path: Path_) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _edit(path: Path_, fn: Callable[[Any, Any], None]) -> Callable[[Any], Any]:
    """A mutation that calls ``fn(parent, last_key)`` on a deep copy of the document."""
    def apply(doc: Any) -> Any:
        doc = copy.deepcopy(doc)
        fn(_get(doc, path[:-1]), path[-1])
        return doc
    return apply


def _set(path: Path_, value: Any) -> Callable[[Any], Any]:
    return _edit(path, lambda parent, key: parent.__setitem__(key, copy.deepcopy(value)))


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, (int, float)):
        return "many"
    if isinstance(value, str):
        return {"oops": 1}
    if isinstance(value, list):
        return "not-a-list"
    return ["not", "a", "mapping"]


def _is_rules(path: Path_) -> bool:
    return "rules" in path and (not path or path[-1] == "rules" or path[-2] == "conditions")


def mutations(doc: dict[str, Any]) -> list[Mutation]:
    """Every single-point mutation we know how to make, by kind (sampled later)."""
    out: list[Mutation] = []
    nodes = list(_walk(doc))
    for path, node in nodes:
        last = path[-1] if path else None
        if isinstance(node, dict):
            out.append(Mutation("unknown-key", path + ("bogus_field",), _set(path + ("bogus_field",), 1)))
            for key in node:
                out.append(Mutation("drop-key", path + (key,), _edit(path + (key,), lambda p, k: p.pop(k))))
            if "name" in node and isinstance(node["name"], str) and path:
                out.append(Mutation("padded-name", path + ("name",), _set(path + ("name",), f" {node['name']} ")))
                out.append(Mutation("empty-name", path + ("name",), _set(path + ("name",), "")))
        if path:
            out.append(Mutation("wrong-type", path, _set(path, _wrong_type(node))))
        if isinstance(node, (int, float)) and path:
            out.append(Mutation("quoted-scalar", path, _set(path, str(node).lower())))
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            for value in (-1, -0.5, 1.5, 10**9):
                out.append(Mutation("out-of-range", path, _set(path, value)))
        if isinstance(node, str) and last not in ("description", "system_prompt", "message") and path:
            out.append(Mutation("bad-enum", path, _set(path, node + "_typo")))
            if isinstance(last, str) and last in ("model", "name", "default", "source", "synthesis_model"):
                out.append(Mutation("dangling", path, _set(path, "no_such_thing")))
        if isinstance(node, list) and node and isinstance(node[0], dict) and "name" in node[0]:
            out.append(Mutation("duplicate", path, _edit(path, lambda p, k: p[k].append(copy.deepcopy(p[k][0])))))
        if isinstance(node, list) and node:
            out.append(Mutation("empty-list", path, _set(path, [])))
        if isinstance(node, dict) and "operator" in node and _is_rules(path):
            children = node.get("conditions") or [{"type": "keyword", "name": "x"}]
            out.append(Mutation("xor-operator", path + ("operator",), _set(path + ("operator",), "XOR")))
            out.append(Mutation("not-two", path, _set(path, {"operator": "NOT", "conditions": children[:1] * 2})))
            out.append(Mutation("or-empty", path, _set(path, {"operator": "OR", "conditions": []})))
            out.append(Mutation("leaf-and-composite", path + ("type",), _set(path + ("type",), "keyword")))
            out.append(Mutation("lower-operator", path + ("operator",),
                                _set(path + ("operator",), str(node["operator"]).lower())))
            out.append(Mutation("on-unknown", path + ("on_unknown",), _set(path + ("on_unknown",), "match")))
        if isinstance(node, dict) and "type" in node and "name" in node and _is_rules(path):
            out.append(Mutation("leaf-type", path + ("type",), _set(path + ("type",), "pii")))
            out.append(Mutation("leaf-on-error", path + ("on_error",), _set(path + ("on_error",), "explode")))
        if isinstance(node, dict) and "model" in node and isinstance(last, int) and "modelRefs" in path:
            for field, value in (("use_reasoning", True), ("use_reasoning", False), ("reasoning_effort", "high"),
                                 ("reasoning_effort", " low"), ("reasoning_mode", "adaptive"),
                                 ("reasoning_mode", "disabled"), ("reasoning_mode", "enabled")):
                out.append(Mutation(f"reasoning-{field}={value.strip() if isinstance(value, str) else value}",
                                    path + (field,), _set(path + (field,), value)))
    return out


def sample(muts: list[Mutation], rng: random.Random) -> list[Mutation]:
    by_kind: dict[str, list[Mutation]] = {}
    for m in muts:
        by_kind.setdefault(m.kind, []).append(m)
    picked: list[Mutation] = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        picked.extend(group if len(group) <= PER_KIND else rng.sample(group, PER_KIND))
    return picked


def ours_rejects(path: Path) -> list[str]:
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        return [f.human() for f in exc.findings]
    return [f.human() for f in validate_policy(policy) if f.severity is Severity.ERROR]


def known_gap(mutation_id: str) -> str | None:
    return next((reason for pattern, reason in KNOWN_GAPS if re.search(pattern, mutation_id)), None)


@pytest.fixture(scope="module")
def canonical_fixtures() -> list[tuple[Path, dict[str, Any]]]:
    """Valid canonical fixtures (both validators accept them); other layouts are not 0.4.0 input."""
    out = []
    for path in FIXTURES:
        policy = load_policy(path)
        if policy.dialect != "canonical":
            continue
        assert not vllm_sr_check.vllm_sr_errors(path), f"{path.name} should be valid for vllm-sr"
        assert not ours_rejects(path), f"{path.name} should be valid for our validator"
        out.append((path, yaml.safe_load(path.read_text())))
    assert len(out) >= 4
    return out


def test_we_reject_everything_vllm_sr_rejects(canonical_fixtures, tmp_path):
    rng = random.Random(SEED)
    tried = rejected_theirs = rejected_ours_only = 0
    missed: list[str] = []
    gaps: dict[str, int] = {}
    for fixture, doc in canonical_fixtures:
        for mutation in sample(mutations(doc), rng):
            target = tmp_path / "mutated.yaml"
            target.write_text(yaml.safe_dump(mutation.apply(doc), sort_keys=False, allow_unicode=True))
            theirs, ours = vllm_sr_check.vllm_sr_errors(target), ours_rejects(target)
            tried += 1
            rejected_theirs += bool(theirs)
            rejected_ours_only += bool(ours and not theirs)
            if theirs and not ours:
                reason = known_gap(mutation.id)
                if reason:
                    gaps[reason] = gaps.get(reason, 0) + 1
                else:
                    missed.append(f"{fixture.name} {mutation.id}: vllm-sr says {theirs[0][:300]}")
    print(f"\nmutations tried: {tried}; rejected by vllm-sr: {rejected_theirs}; missed by ours: {len(missed)}; "
          f"known gaps hit: {sum(gaps.values())}; rejected by ours only (strictly more): {rejected_ours_only}")
    for reason, count in gaps.items():
        print(f"  known gap x{count}: {reason}")
    assert tried > 500
    assert not missed, "vllm-sr rejects, we accept:\n" + "\n".join(missed)
