"""The user's file is kept as written (issue 13, item 3): saving a loaded policy gives its bytes back,
and an edit of the model changes only the lines it has to, comments, quoting and flow style kept.

Expected texts are built from the original by the change a person would make by hand: the lines
of the changed values (found through the loader's own positions) with the new value put in, or the
lines of a removed entry taken out. A patched text must equal that expected text exactly, and read
back as the edited policy.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Callable

import pytest

from policies.conflicts import analyze_policy
from policies.conflicts.repairs import propose_repairs
from policies.errors import PolicyError, SpecPath
from policies.loader import dumps_policy, load_policy, loads_policy, revise, revise_text, save_policy
from policies.yaml_source import needs_quotes

from tests.yaml_text import UPSTREAM, commented, comments, needs_upstream

from .conftest import CONFIGS, ROOT, SAMPLES

FILES = sorted(SAMPLES.glob("*.yaml")) + sorted(UPSTREAM.glob("recipes/*/config.yaml"))


def file_id(path: Path) -> str:
    return path.parent.name if path.name == "config.yaml" else path.stem


def leaf_paths(before: Any, after: Any, path: SpecPath = ()) -> list[SpecPath]:
    """Paths of the scalar values that differ between two specs of the same shape."""
    if isinstance(before, dict) and isinstance(after, dict):
        assert before.keys() == after.keys()
        return [p for k in before for p in leaf_paths(before[k], after[k], path + (k,))]
    if isinstance(before, list) and isinstance(after, list):
        assert len(before) == len(after)
        return [p for i, (a, b) in enumerate(zip(before, after)) for p in leaf_paths(a, b, path + (i,))]
    return [] if before == after else [path]


def value_at(spec: Any, path: SpecPath) -> Any:
    for part in path:
        spec = spec[part]
    return spec


def by_hand(text: str, file: str, after: dict[str, Any]) -> str:
    """``text`` with each changed scalar replaced where it stands, as a person edits a file."""
    policy = loads_policy(text, file)
    before = policy.to_spec()
    lines = text.splitlines(keepends=True)
    edits = sorted(((policy.position(p), p) for p in leaf_paths(before, after)), reverse=True)
    for (line, column), path in edits:
        old, new = str(value_at(before, path)), str(value_at(after, path))
        row = lines[line - 1]
        at = row.index(old, column - 1)
        lines[line - 1] = row[:at] + new + row[at + len(old):]
    return "".join(lines)


def without_lines(text: str, first: int, last: int) -> str:
    """``text`` without its lines ``first``..``last`` (1-based, inclusive)."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[: first - 1] + lines[last:])


def edited(text: str, file: str, change: Callable[[dict[str, Any]], None]) -> tuple[dict[str, Any], str]:
    """The spec after ``change`` and the text the engine writes for it (which must read back as it)."""
    before = loads_policy(text, file).to_spec()
    after = copy.deepcopy(before)
    change(after)
    out = revise_text(text, before, after, file)
    assert loads_policy(out, file).to_spec() == after
    return after, out


def first_path(spec: Any, want: Callable[[SpecPath, Any], bool], path: SpecPath = ()) -> SpecPath | None:
    if want(path, spec):
        return path
    items = spec.items() if isinstance(spec, dict) else enumerate(spec) if isinstance(spec, list) else ()
    for key, value in items:
        found = first_path(value, want, path + (key,))
        if found is not None:
            return found
    return None


def same_length_number(value: float | int) -> float | int:
    """Another number written with as many characters (so an end-of-line comment keeps its column)."""
    if isinstance(value, int):
        return value ^ 1
    text = repr(value)
    return float(text[:-1] + str((int(text[-1]) + 2) % 10 or 1))


def set_at(spec: Any, path: SpecPath, value: Any) -> None:
    value_at(spec, path[:-1])[path[-1]] = value


# -- load, save ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=file_id)
def test_load_then_save_is_byte_identical(path: Path, tmp_path: Path) -> None:
    out = tmp_path / path.name
    save_policy(load_policy(path), out)
    assert out.read_bytes() == path.read_bytes()


def test_a_policy_built_in_memory_saves_as_canonical_yaml() -> None:
    policy = load_policy(SAMPLES / "cost_optimised.yaml")
    built = type(policy).from_spec(policy.to_spec())
    assert loads_policy(dumps_policy(built)).to_spec() == policy.to_spec()
    assert "#" not in dumps_policy(built)


# -- one edit ------------------------------------------------------------------------------------
def _one_edit_cases() -> list[Any]:
    cases = []
    for path in FILES:
        cases.append(pytest.param(path, False, id=file_id(path)))
        if path.parent == SAMPLES:
            cases.append(pytest.param(path, True, id=file_id(path) + "-commented"))
    return cases


@pytest.mark.parametrize(("path", "with_comments"), _one_edit_cases())
@pytest.mark.parametrize("what", ["priority", "threshold", "model_ref"])
def test_one_edit_changes_only_its_line(path: Path, with_comments: bool, what: str) -> None:
    text = commented(path.read_text()) if with_comments else path.read_text()
    spec = loads_policy(text, path.name).to_spec()
    if what == "priority":
        target = first_path(spec, lambda p, v: p[-1:] == ("priority",) and p[:2] == ("routing", "decisions"))
        new = same_length_number(value_at(spec, target))
    elif what == "threshold":
        target = first_path(spec["routing"], lambda p, v: isinstance(v, float) and not isinstance(v, bool)
                            and "signals" in p and "threshold" in str(p[-1]))
        assert target is not None or file_id(path) in ("accuracy", "knowledge"), "a sample without a threshold"
        if target is None:  # these two recipes have no float threshold: take their first float
            target = first_path(spec["routing"], lambda p, v: isinstance(v, float))
        target = ("routing",) + target
        new = same_length_number(value_at(spec, target))
    else:
        target = first_path(spec, lambda p, v: p[:2] == ("routing", "decisions") and p[-1:] == ("model",))
        others = [m["name"] for m in spec["providers"]["models"] if m["name"] != value_at(spec, target)]
        new = others[0]
    after, out = edited(text, path.name, lambda s: set_at(s, target, new))
    if what == "model_ref" and with_comments:  # a longer name moves the end-of-line comment along
        assert [a for a, b in zip(out.splitlines(), text.splitlines()) if a != b][0].count("#") == 1
        assert comments(out) == comments(text)
        return
    assert out == by_hand(text, path.name, after)
    assert sum(a != b for a, b in zip(out.splitlines(), text.splitlines())) == 1


# -- structural edits on a commented sample ------------------------------------------------------
@pytest.fixture
def cost_commented() -> str:
    return commented((SAMPLES / "cost_optimised.yaml").read_text())


def line_of(text: str, fragment: str) -> int:
    (number,) = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    return number


def test_removing_a_decision_removes_its_lines_and_its_comment_only(cost_commented: str) -> None:
    def drop(spec: dict) -> None:
        spec["routing"]["decisions"] = [d for d in spec["routing"]["decisions"] if d["name"] != "hard_math"]

    _, out = edited(cost_commented, "cost.yaml", drop)
    first = line_of(cost_commented, "# about hard_math")
    last = line_of(cost_commented, "# about hard_stem_or_code") - 1
    assert out == without_lines(cost_commented, first, last)


def test_removing_the_last_decision_keeps_the_comments_above_it_for_the_previous_one(cost_commented: str) -> None:
    _, out = edited(cost_commented, "cost.yaml", lambda s: s["routing"]["decisions"].pop())
    first = line_of(cost_commented, "# about everyday_code")
    assert out == without_lines(cost_commented, first, len(cost_commented.splitlines()))


def test_adding_a_decision_inserts_it_in_place_in_the_file_style(cost_commented: str) -> None:
    new = {"name": "short_chat", "description": "Quick questions stay local.", "priority": 120,
           "rules": {"operator": "AND", "conditions": [{"type": "keyword", "name": "quick"}]},
           "modelRefs": [{"model": "qwen3-8b", "use_reasoning": False}]}
    _, out = edited(cost_commented, "cost.yaml", lambda s: s["routing"]["decisions"].insert(3, new))
    at = line_of(cost_commented, "# about everyday_code")  # the new one goes before this comment
    lines = cost_commented.splitlines(keepends=True)
    block = ("    - name: short_chat\n"
             "      description: Quick questions stay local.\n"
             "      priority: 120\n"
             "      rules:\n"
             "        operator: AND\n"
             "        conditions:\n"
             "          - {type: keyword, name: quick}\n"
             "      modelRefs: [{model: qwen3-8b, use_reasoning: false}]\n")
    assert out == "".join(lines[: at - 1]) + block + "".join(lines[at - 1:])


def test_renaming_a_signal_changes_its_name_and_every_reference_in_place(cost_commented: str) -> None:
    def rename(spec: dict) -> None:
        spec["routing"]["signals"]["complexity"][0]["name"] = "DIFFICULTY"
        for decision in spec["routing"]["decisions"]:
            for condition in decision["rules"]["conditions"]:
                if condition.get("name") == "difficulty:hard":
                    condition["name"] = "DIFFICULTY:hard"

    after, out = edited(cost_commented, "cost.yaml", rename)
    assert out == by_hand(cost_commented, "cost.yaml", after)
    changed = [b for a, b in zip(cost_commented.splitlines(), out.splitlines()) if a != b]
    assert changed == ["      - name: DIFFICULTY  # c47",
                       '          - {type: complexity, name: "DIFFICULTY:hard"}  # c68',
                       '          - {type: complexity, name: "DIFFICULTY:hard"}  # c77']


def test_new_strings_read_as_strings_by_yaml_1_1_and_1_2(cost_commented: str) -> None:
    def describe(spec: dict) -> None:
        for decision, text in zip(spec["routing"]["decisions"], ("yes", "1e3", "0o17", "null")):
            decision["description"] = text

    _, out = edited(cost_commented, "cost.yaml", describe)
    for value in ("yes", "1e3", "0o17", "null"):
        assert needs_quotes(value) and f"description: '{value}'" in out


# -- edits in sequence: a repair from the conflict analysis, then edits --------------------------
def test_repair_then_edits_in_sequence_keep_the_rest_of_the_file(cost_commented: str) -> None:
    policy = loads_policy(cost_commented, "cost.yaml")
    report = analyze_policy(policy)
    overlap = next(f for f in report.findings if f.kind == "overlap" and f.decisions)
    repairs = [r for r in propose_repairs(report.profiles[0].analysis, overlap) if r.policy is not None]
    assert repairs, "the sample's overlap has proven repairs"
    text = cost_commented
    for repair in repairs:  # each repair applied to the file, then an edit on top of it
        repaired = revise_text(text, policy.to_spec(), repair.policy.to_spec(), "cost.yaml")
        assert loads_policy(repaired, "cost.yaml").to_spec() == repair.policy.to_spec()
        assert comments(repaired) == comments(text), repair.kind
        kept = [line for line in text.splitlines() if line not in repaired.splitlines()]
        assert len(kept) <= 2, (repair.kind, kept)  # a reorder changes a priority line; the rest only adds
        after, out = edited(repaired, "cost.yaml",
                            lambda s: set_at(s, ("routing", "signals", "complexity", 0, "threshold"), 0.3))
        assert out == by_hand(repaired, "cost.yaml", after)
        restored = revise_text(out, after, loads_policy(repaired, "cost.yaml").to_spec(), "cost.yaml")
        assert restored == repaired


@needs_upstream
def test_upstream_recipe_edits_in_sequence_keep_its_comments() -> None:
    path = UPSTREAM / "recipes" / "feedback" / "config.yaml"
    text = path.read_text()
    policy = loads_policy(text, path.name)
    first, _ = policy.position(("routing", "modelCards", len(policy.routing.model_cards) - 1))
    # 1. remove the model card right above the recipe's comment block: the comment stays for `signals:`
    _, step1 = edited(text, path.name, lambda s: s["routing"]["modelCards"].pop())
    last = line_of(text, "# This recipe turns feedback-recovery heuristics") - 2  # keeps the blank line
    assert step1 == without_lines(text, first, last)
    # 2. then a priority, by hand-edit equivalence on the new text
    after, step2 = edited(step1, path.name, lambda s: s["routing"]["decisions"][0].update(priority=241))
    assert step2 == by_hand(step1, path.name, after)
    assert comments(step2) == comments(text)


@needs_upstream
def test_a_change_where_the_file_layout_differs_is_written_canonically_not_wrongly() -> None:
    """The repository layout says ``default_model`` where the canonical spec says ``defaults.model``."""
    path = UPSTREAM / "recipes" / "privacy" / "config.yaml"
    text = path.read_text()
    before = loads_policy(text, path.name).to_spec()
    after = copy.deepcopy(before)
    after["providers"]["defaults"]["model"] = after["providers"]["models"][1]["name"]
    revision = revise(text, before, after, path.name)
    assert loads_policy(revision.text, path.name).to_spec() == after
    assert revision.rewritten == "the file has no 'model' where the canonical layout has it"


def test_a_multi_document_file_saves_with_the_model_it_holds() -> None:
    policy = load_policy(CONFIGS / "k8s_pair.yaml")
    assert loads_policy(dumps_policy(policy)).to_spec() == policy.to_spec()


def test_check_accept_writes_the_users_file_with_only_the_annotation_added(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from policies.commands import main

    source = tmp_path / "safety.yaml"
    source.write_text(commented((SAMPLES / "safety_first.yaml").read_text()))
    data = json.loads(CliRunner().invoke(main, ["check", "--json", str(source)]).output)
    overlap = next(f for f in data["findings"] if f["decisions"] == ["block_jailbreak", "code_help"])
    out = tmp_path / "accepted.yaml"
    result = CliRunner().invoke(main, ["check", "--accept", overlap["id"], "--out", str(out), str(source)])
    assert result.exit_code == 0, result.output
    original, written = source.read_text().splitlines(), out.read_text().splitlines()
    added = [line for line in written if line not in original]
    assert [line for line in original if line not in written] == []
    assert [line.strip() for line in added] == ["annotations:", "routing-studio/accepted-overlaps: [code_help]"]


def _fixtures_with_priorities() -> list[Path]:
    found = []
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.yaml")):
        try:
            policy = load_policy(path)
        except PolicyError:
            continue
        if policy.dialect in ("canonical", "repository") and any(d.priority is not None for d in policy.decisions):
            found.append(path)
    return found


@pytest.mark.parametrize("path", _fixtures_with_priorities(), ids=lambda p: p.stem)
def test_every_fixture_in_the_router_layouts_edits_in_one_line(path: Path) -> None:
    """Including the files ruamel does not render byte for byte (``[{name: a}]`` comes out ``[name: a]``)."""
    text = path.read_text()
    spec = loads_policy(text, path.name).to_spec()
    target = first_path(spec, lambda p, v: p[:2] == ("routing", "decisions") and p[-1:] == ("priority",))
    after, out = edited(text, path.name, lambda s: set_at(s, target, value_at(spec, target) ^ 1))
    assert out == by_hand(text, path.name, after)


def test_validate_does_not_import_the_round_trip_library(tmp_path: Path) -> None:
    """ruamel.yaml (pure Python) is paid for only by an edit or a save, never by loading."""
    from .test_cli_imports import heavy, loaded_by

    code, modules = loaded_by(tmp_path, "validate", str(SAMPLES / "cost_optimised.yaml"))
    assert code == 0 and "policies.loader" in modules
    assert heavy(modules, ("ruamel", "policies.yaml_roundtrip")) == []


@pytest.mark.parametrize("key_comment", [True, False], ids=["key-commented", "key-bare"])
def test_the_first_decision_removed_and_one_added_first(cost_commented: str, key_comment: bool) -> None:
    """ruamel keeps the lines above a list's first item on the key holding the list: they go with it."""
    text = cost_commented if key_comment else cost_commented.replace("  decisions:  # c55\n", "  decisions:\n")
    _, out = edited(text, "cost.yaml", lambda s: s["routing"]["decisions"].pop(0))
    assert out == without_lines(text, line_of(text, "# about long_documents"), line_of(text, "# about hard_math") - 1)
    first = {"name": "first", "priority": 5, "rules": {"operator": "AND", "conditions": []}}
    _, out = edited(text, "cost.yaml", lambda s: s["routing"]["decisions"].insert(0, first))
    lines = text.splitlines(keepends=True)
    at = line_of(text, "# about long_documents") - 1
    block = "    - name: first\n      priority: 5\n      rules: {operator: AND, conditions: []}\n"
    assert out == "".join(lines[:at]) + block + "".join(lines[at:])


def test_the_first_key_of_a_mapping_removed_and_one_added_first() -> None:
    text = ("version: v0.3\nproviders:\n  # the defaults\n  defaults:\n    model: m1\n  # the models\n"
            "  models:\n    - name: m1\nrouting:\n  decisions:\n    - name: d\n      # about the description\n"
            "      description: x\n      # about the priority\n      priority: 1\n"
            "      rules: {operator: AND, conditions: []}\n")

    def drop(spec: dict) -> None:
        del spec["providers"]["defaults"]
        del spec["routing"]["decisions"][0]["description"]

    _, out = edited(text, "p.yaml", drop)
    assert out == text.replace("  # the defaults\n  defaults:\n    model: m1\n", "").replace(
        "      # about the description\n      description: x\n", "")
    _, out = edited(text, "p.yaml", lambda s: s.update(providers={"external": {"x": 1}, **s["providers"]}))
    assert out == text.replace("providers:\n", "providers:\n  external:\n    x: 1\n")


def test_removing_the_only_item_leaves_an_empty_flow_list(cost_commented: str) -> None:
    """An empty block list would read back as null: it is written ``[]``, its key's comment kept."""
    _, out = edited(cost_commented, "cost.yaml", lambda s: s["routing"]["signals"]["keywords"].clear())
    start = line_of(cost_commented, "    keywords:  # c51")
    lines = cost_commented.splitlines(keepends=True)
    assert out.splitlines(keepends=True)[: start - 1] == lines[: start - 1]
    assert out.splitlines(keepends=True)[start:] == lines[start + 1:]
    assert re.fullmatch(r"    keywords: \[\] +# c51\n", out.splitlines(keepends=True)[start - 1])


def test_document_markers_and_a_kubernetes_pair() -> None:
    """A single document between ``---`` and ``...`` keeps its markers; several documents are rewritten
    canonically, and say why."""
    text = ("---\n# head\nversion: v0.3\nrouting:\n  decisions:\n    - name: d\n      priority: 1\n"
            "      rules: {operator: AND, conditions: []}\n...\n")
    after, out = edited(text, "p.yaml", lambda s: s["routing"]["decisions"][0].update(priority=2))
    assert out == text.replace("priority: 1", "priority: 2")
    pair = (CONFIGS / "k8s_pair.yaml").read_text()
    before = loads_policy(pair).to_spec()
    after = copy.deepcopy(before)
    after["routing"]["decisions"][0]["priority"] = 7
    revision = revise(pair, before, after)
    assert revision.rewritten.startswith("a YAML 1.2 reader does not read the file as one document")
    assert loads_policy(revision.text).to_spec() == after


def test_windows_line_ends_stay(cost_commented: str) -> None:
    text = cost_commented.replace("\n", "\r\n")
    after, out = edited(text, "cost.yaml", lambda s: s["routing"]["decisions"][1].update(priority=201))
    assert out == text.replace("priority: 200  # c63", "priority: 201  # c63")
