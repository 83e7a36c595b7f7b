"""Fuzz export safety: hostile strings in names, descriptions, keywords and system prompts survive export.

A string that YAML would read as a key, an anchor, a tag, a number, a boolean, null or a line
break must be quoted by the exporter, so reloading the export gives back the same data: no
injected keys and no type changes. The policy goes the studio's way: spec → ``dump_yaml`` →
``loads_policy`` → ``export_text`` → reload.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from policies.export import export_documents, export_text
from policies.loader import load_policy, loads_policy
from policies.yaml_source import dump_yaml, load_documents

from .support import HOSTILE_STRINGS, KNOWN_BUGS, KNOWN_HITS, ROOT, counting, fuzz_settings, no_hang, tried

TARGET = "export-safety"
BASE = load_policy(ROOT / "sample_data" / "policies" / "cost_optimised.yaml").to_spec()

# Spec paths of free-text string fields in the base policy that nothing else refers to.
SLOTS: list[tuple] = [
    ("routing", "decisions", 0, "name"), ("routing", "decisions", 1, "description"),
    ("routing", "decisions", 2, "name"), ("routing", "decisions", 3, "description"),
    ("routing", "decisions", 3, "plugins", 0, "configuration", "system_prompt"),
    ("routing", "signals", "keywords", 0, "keywords", 0), ("routing", "signals", "keywords", 0, "keywords", 2),
    ("routing", "signals", "domains", 0, "description"), ("routing", "modelCards", 1, "description"),
    ("routing", "signals", "complexity", 0, "hard", "candidates", 1),
]

# YAML 1.2 core schema (Go yaml.v3, which vLLM SR reads with) resolves these plain scalars as non-strings.
YAML12_NOT_STRING = re.compile(r"""^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE
    |[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+
    |[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
# Of those, PyYAML (YAML 1.1) reads these as strings; dump_yaml left them unquoted until 99810e1.
YAML12_ONLY = re.compile(r"^(?:0o[0-7]+|[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+|[-+]?\.[0-9]+[eE][-+]?[0-9]+)$")
YAML12_BUG = "YAML1.2-plain-number@policies/yaml_source.py:dump_yaml"

hostile = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(alphabet=":-#&*!|>'\"%@`{}[],? \t\n\r\x85\u2028\u2029\ufeffyesnoNULtrue0123456789.eExo+_~",
            min_size=1, max_size=16),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE_STRINGS), st.sampled_from(HOSTILE_STRINGS)),
)


def put(spec: dict[str, Any], path: tuple, value: str) -> None:
    node: Any = spec
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def get(spec: Any, path: tuple) -> Any:
    for part in path:
        spec = spec[part]
    return spec


def plain_strings(text: str) -> list[str]:
    """Every string value the exporter wrote as a plain (unquoted) scalar."""
    out: list[str] = []
    stack = list(yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if not node.style and node.tag == "tag:yaml.org,2002:str":  # plain: None (Python) or "" (libyaml)
                out.append(node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
    return out


def test_hostile_strings_survive_export() -> None:
    @fuzz_settings(1100)
    @given(st.lists(st.tuples(st.sampled_from(SLOTS), hostile), min_size=1, max_size=6, unique_by=lambda s: s[0]))
    def run(edits: list[tuple[tuple, str]]) -> None:
        tried(TARGET)
        spec = copy.deepcopy(BASE)
        for path, value in edits:
            put(spec, path, value)
        names = [get(spec, ("routing", "decisions", i, "name")) for i in range(4)]
        if len(set(names)) < 4:  # two decisions of one name is a different (validation) story
            return
        with no_hang():
            policy = loads_policy(dump_yaml(spec), "edited.yaml")  # the studio's visual-edit path
            for path, value in edits:
                assert get(policy.to_spec(), path) == value, f"studio text changed {path}"
            docs, _ = export_documents(policy)
            text, _ = export_text(policy)
            reread = load_documents(text)[0].data
            assert reread == docs[0], "exported YAML reads back as different data (injected key or type change)"
            for path, value in edits:
                assert get(reread, path) == value and isinstance(get(reread, path), str)
            again = loads_policy(text, "exported.yaml")
            assert export_documents(again)[0] == docs, "reloaded export differs"
            for plain in plain_strings(text):
                if YAML12_NOT_STRING.match(plain):
                    tolerated = YAML12_BUG in KNOWN_BUGS and YAML12_ONLY.match(plain)
                    assert tolerated, f"string {plain!r} exported unquoted; a YAML 1.2 reader takes it for a non-string"
                    KNOWN_HITS[YAML12_BUG] += 1

    with counting("hostile_strings_export", TARGET, 1000):
        run()


@pytest.mark.parametrize("value", ["a: b\nc: d", "- x", "&anchor", "!!python/object", "{x: 1}", " lead", "trail ",
                                   "yes", "0x10", "1e3", "a\u2028b", "a\x85b", "#"])
def test_brief_examples_round_trip(value: str) -> None:
    """The strings named in the issue, each in every slot at once (a readable, non-random regression)."""
    spec = copy.deepcopy(BASE)
    for i, path in enumerate(SLOTS):
        put(spec, path, value if "name" != path[-1] else f"{value}{i}")
    policy = loads_policy(dump_yaml(spec))
    text, _ = export_text(policy)
    assert load_documents(text)[0].data == export_documents(policy)[0][0]
