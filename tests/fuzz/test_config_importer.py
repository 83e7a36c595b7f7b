"""Fuzz the config importer: generated and mutated YAML through load → validate → export → reload.

Allowed outcomes: a policy (that validates without raising and exports or refuses with
PolicyError, and whose export reloads to a fixed point) or a PolicyError. Inputs: random
documents keyed by the real field names of every layout, structure-aware mutations of the real
configs, byte-level mutations (flips, inserts, deletes, truncation, splices, non-UTF-8, NULs),
deep nesting and alias chains.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from policies.yaml_source import MAX_DEPTH

from .support import CORPUS, FIELD_NAMES, HOSTILE_STRINGS, check_config, counting, fuzz_settings, mapping_paths, \
    tried

TARGET = "config-importer"
EXPANSION_BUDGET = 20_000

# -- generated documents -----------------------------------------------------------------------
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(HOSTILE_STRINGS), st.sampled_from(FIELD_NAMES),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6, alphabet="abcxyz_-.:0 "), st.integers(-3, 3))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                      max_leaves=30)

LAYOUT_ROOTS: dict[str, tuple[str, ...]] = {
    "canonical": ("version", "listeners", "providers", "routing", "recipes", "plugins"),
    "repository": ("version", "providers", "routing", "listeners"),
    "legacy": ("vllm_endpoints", "model_config", "default_model", "categories", "decisions", "keyword_rules",
               "strategy", "reasoning_families"),
    "kubernetes": ("apiVersion", "kind", "metadata", "spec"),
}


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A YAML stream: a layout's top-level keys with random nested values, plus random extra keys."""
    layout = draw(st.sampled_from(sorted(LAYOUT_ROOTS)))
    roots = draw(st.lists(st.sampled_from(LAYOUT_ROOTS[layout]), unique=True, min_size=1))
    doc: dict[Any, Any] = {k: draw(values) for k in roots}
    doc.update(draw(st.dictionaries(keys, values, max_size=3)))
    if layout == "kubernetes":
        doc["apiVersion"] = "vllm.ai/v1alpha1"
        doc["kind"] = draw(st.sampled_from(["IntelligentPool", "IntelligentRoute", "SemanticRouter", "Other"]))
        docs = [doc] + draw(st.lists(st.dictionaries(keys, values, max_size=4), max_size=2))
        return yaml.safe_dump_all(docs, sort_keys=False)
    flow = draw(st.booleans())
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=flow, allow_unicode=draw(st.booleans()))


def test_generated_documents() -> None:
    @fuzz_settings(500)
    @given(documents())
    def run(text: str) -> None:
        tried(TARGET)
        check_config(text)

    with counting("generated_documents", TARGET, 400):
        run()


# -- structure-aware mutations of the real configs -----------------------------------------------
def _parent(root: Any, path: tuple) -> tuple[Any, Any]:
    node = root
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


@st.composite
def structural_mutants(draw: st.DrawFn) -> str:
    """A real config with 1–4 values deleted, replaced, retyped, renamed or duplicated."""
    name = draw(st.sampled_from(sorted(CORPUS)))
    docs = [d for d in yaml.safe_load_all(CORPUS[name]) if d is not None]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(docs) - 1))
        paths = [p for p in mapping_paths(docs[i]) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(docs[i], path)
        op = draw(st.sampled_from(["delete", "replace", "hostile", "rename", "duplicate", "wrap"]))
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = draw(values)
        elif op == "hostile":
            parent[last] = draw(st.sampled_from(HOSTILE_STRINGS + (0, -1, 2**63, 1e308, math.inf, True, None, [], {})))
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(FIELD_NAMES))] = parent.pop(last)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif op == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"x": parent[last]}]))
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


def test_structural_mutations_of_real_configs() -> None:
    @fuzz_settings(350)
    @given(structural_mutants())
    def run(text: str) -> None:
        tried(TARGET)
        check_config(text)

    with counting("structural_mutations", TARGET, 300):
        run()


# -- byte-level mutations ---------------------------------------------------------------------------
TOKENS = (b"\x00", b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\t", b"\r", b"\n", b"\n  ",
          b": ", b"- ", b"&a ", b"*a", b"<<: *a\n", b"!!python/object:os.system ", b"!!str ", b"!custom ", b"{", b"}",
          b"[", b"]", b"'", b'"', b"#", b"? ", b"|\n", b">-\n", b"%YAML 1.1\n", b"---\n", b"...\n", b"\\u0000",
          b"\xe2\x80\xa8", b"\xc2\x85", b"1e999", b"-0", b"~", b"yes", b"0x")


@st.composite
def byte_mutants(draw: st.DrawFn) -> bytes:
    """A real config after 1–8 byte-level edits, optionally spliced with another real config."""
    data = bytearray(CORPUS[draw(st.sampled_from(sorted(CORPUS)))])
    if draw(st.integers(0, 5)) == 0:
        other = CORPUS[draw(st.sampled_from(sorted(CORPUS)))]
        cut, at = draw(st.integers(0, len(data))), draw(st.integers(0, len(other)))
        data = data[:cut] + other[at:]
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "token", "delete", "truncate", "line"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[pos:]
        elif op == "line":  # duplicate a whole line somewhere else: duplicate keys, bad indentation
            lines = bytes(data).split(b"\n")
            src, dst = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines)))
            lines.insert(dst, lines[src])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def test_byte_mutations_of_real_configs() -> None:
    @fuzz_settings(700)
    @given(byte_mutants())
    def run(raw: bytes) -> None:
        tried(TARGET)
        check_config(raw)

    with counting("byte_mutations", TARGET, 600):
        run()


# -- deep nesting and alias chains --------------------------------------------------------------
@st.composite
def nesting_and_aliases(draw: st.DrawFn) -> str:
    """Deeply nested flow/block collections, or alias chains that expand geometrically."""
    kind = draw(st.sampled_from(["flow", "block", "mixed", "aliases", "merge"]))
    depth = draw(st.integers(1, MAX_DEPTH * 3))
    if kind == "flow":
        return "routing: " + "[" * depth + "1" + "]" * depth + "\n"
    if kind == "block":
        return "routing:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth)) + " " * (depth + 1) + "v\n"
    if kind == "mixed":
        return "routing: " + "{a: [" * depth + "1" + "]}" * depth + "\n"
    # Expansions stay under ~20k values: the 2M-value cap itself takes ~10 s to reach (reported, not fuzzed).
    levels = draw(st.integers(1, 8))
    fan = draw(st.integers(1, max(1, int(EXPANSION_BUDGET ** (1 / levels)))))
    lines = ["a0: &a0 [x]"] if kind == "aliases" else ["a0: &a0 {name: x}"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * fan)
        lines.append(f"a{i}: &a{i} [{refs}]" if kind == "aliases" else f"a{i}: &a{i} {{<<: [{refs}], n{i}: 1}}")
    lines.append(f"routing: {{decisions: *a{levels}}}")
    return "\n".join(lines) + "\n"


def test_deep_nesting_and_alias_chains() -> None:
    @fuzz_settings(150)
    @given(nesting_and_aliases())
    def run(text: str) -> None:
        tried(TARGET)
        check_config(text)

    with counting("nesting_and_aliases", TARGET, 100):
        run()
