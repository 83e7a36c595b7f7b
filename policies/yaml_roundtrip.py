"""Edit a YAML file as its author wrote it: a model change becomes a minimal patch of the text.

Why: the studio and the engine used to write a policy back with ``dump_yaml(policy.to_spec())``,
which drops every comment and turns flow style into block style (a sample went from 88 to 225
lines after one builder edit). Here the file is loaded as a ruamel.yaml round-trip document
(comments, key order, quoting, flow style and indentation kept) and only what differs between
two specs is written into it: a changed leaf replaces that value (keeping its quote style), an
added list item or key is inserted in place in the style of its neighbours, a removed one is
deleted together with the comment lines above it, while the comment lines that introduce the
next entry stay. Unchanged text is returned as is, so load → save is byte-identical.

The two specs are the engine's canonical ones; the document may be in another layout (the
router's repository layout renames a few provider keys). A change that falls where the file's
layout differs from the canonical one raises :class:`Unpatchable`; the loader then verifies or
falls back (``policies.loader.revise``). ruamel.yaml is pure Python (an edit of an 86-line file
costs ~90 ms of CPU, of a 1,300-line one ~0.5 s: ``benchmarks/bench_yaml_roundtrip.py``), so it is
imported only here, and only when a policy is edited: loading and validating never import it.

New strings are quoted when a YAML 1.1 or 1.2 reader would take them for another type (the rule
of :func:`policies.yaml_source.needs_quotes`), since the router reads its config with Go yaml.v3.
"""

from __future__ import annotations

import difflib
import io
import json
from typing import Any

from .yaml_source import needs_quotes

# Inline comments and long flow lines stay on one line: never wrap.
_WIDTH = 1 << 16


_Holder = tuple[Any, Any, int]  # (container, key, slot): where ruamel keeps the comment after a line


class Unpatchable(Exception):
    """The change touches a part of the file that does not hold the canonical spec's shape."""


def patch_text(text: str, before: Any, after: Any) -> str:
    """``text`` (whose data reads as ``before``) changed so that it reads as ``after``, minimally."""
    if before == after:
        return text
    if "\r\n" in text:  # ruamel writes "\n": patch the file with its line ends as "\n", then put them back
        return patch_text(text.replace("\r\n", "\n"), before, after).replace("\n", "\r\n")
    from ruamel.yaml.error import YAMLError

    try:
        yaml, data = _load(text)
    except YAMLError as exc:  # our loader read it; a YAML 1.2 reader need not (or it holds several documents)
        why = ", ".join(filter(None, (getattr(exc, "context", None), getattr(exc, "problem", None)))) or str(exc)
        raise Unpatchable(f"a YAML 1.2 reader does not read the file as one document: {why}") from None
    unchanged = _dump(yaml, data)
    return _carry(text, unchanged, _dump(yaml, _Patch(data).node(data, before, after)))


def _dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _carry(text: str, unchanged: str, patched: str) -> str:
    """The lines the patch changed in ruamel's rendering, carried into the file's own text.

    ruamel renders most files byte for byte, but not all (``[{name: a}]`` comes out ``[name: a]``):
    the patch then goes onto the file's lines, aligned with the rendering; where they cannot be
    aligned, the rendering is the answer (the caller reads it back either way).
    """
    if unchanged == text:
        return patched
    rendered, wanted, lines = unchanged.splitlines(True), patched.splitlines(True), text.splitlines(True)
    at: list[int | None] = [None] * len(rendered)  # the file's line that each rendered line renders
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, rendered, lines, autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            at[i1:i2] = range(j1, j2)
    edits = difflib.SequenceMatcher(None, rendered, wanted, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(edits):
        if tag == "equal":
            continue
        if i2 > i1:
            span = at[i1:i2]
        else:  # an insertion: after the file's line that the rendered line before it renders
            span = [0] if i1 == 0 else [None if at[i1 - 1] is None else at[i1 - 1] + 1]
        if None in span or span != list(range(span[0], span[0] + len(span))):
            return patched
        lines[span[0]:span[0] + (i2 - i1)] = wanted[j1:j2]
    return "".join(lines)


def _load(text: str) -> tuple[Any, Any]:
    """A round-trip loader/dumper set up with the file's own indentation, and the document."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    yaml = YAML(typ="rt")  # several documents: a YAMLError (the canonical spec is one document)
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = True  # the loader reports them; the last one wins in both
    yaml.width = _WIDTH
    yaml.representer.add_representer(float, _represent_float)
    data, indent, offset = load_yaml_guess_indent(text, yaml=yaml)
    yaml.indent(mapping=_mapping_indent(text), sequence=indent or 2, offset=offset or 0)
    return yaml, data


def _mapping_indent(text: str) -> int:
    """How far the file indents a nested mapping (ruamel guesses only its sequences' indent)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for parent, child in zip(lines, lines[1:]):
        if parent.rstrip().endswith(":") and not child.lstrip().startswith("-"):
            step = (len(child) - len(child.lstrip())) - (len(parent) - len(parent.lstrip()))
            if step > 0:
                return step
    return 2


def _represent_float(representer: Any, value: float) -> Any:
    """A new float as PyYAML writes it (``1.0e-05``, not ``1e-05``, which YAML 1.1 reads as a string)."""
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value)
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


# -- the patch ----------------------------------------------------------------------------------
class _Patch:
    """One patch of one document; new content without a neighbour to copy takes the file's habit."""

    def __init__(self, root: Any):
        self.habit = _habit(root)

    def node(self, node: Any, before: Any, after: Any, lead: _Holder | None = None) -> Any:
        """``node`` changed from ``before`` to ``after``: containers in place, anything else replaced.
        ``lead``: where the comment lines between its key and its first line are kept."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if isinstance(before, dict) and isinstance(after, dict) and isinstance(node, CommentedMap):
            self.mapping(node, before, after, lead)
            return node
        if isinstance(before, list) and isinstance(after, list) and isinstance(node, CommentedSeq):
            self.sequence(node, before, after, lead)
            return node
        return self.styled(after, node, quotes=True)

    def mapping(self, node: Any, before: dict, after: dict, lead: _Holder | None) -> None:
        for key in [k for k in before if k not in after]:
            own = _key(node, key)
            if own is None:
                raise Unpatchable(f"the file has no '{key}' where the canonical layout has it")
            _remove_key(node, own, lead)
        for index, (key, value) in enumerate(after.items()):
            own = _key(node, key)
            if key in before:
                if before[key] == value:
                    continue
                if own is None:
                    raise Unpatchable(f"the file has no '{key}' where the canonical layout has it")
                new = self.node(node[own], before[key], value, (node, own, 2))
                if new is not node[own]:
                    node[own] = new
                continue
            if own is not None:
                raise Unpatchable(f"the file has a '{key}' where the canonical layout has none")
            present = [a for a in (_key(node, k) for k in list(after)[:index]) if a is not None]
            above = "" if present or not len(node) else _take_lead(node, lead)
            node.insert(list(node).index(present[-1]) + 1 if present else 0, key, self.styled(value, None))
            if present and not node.fa.flow_style():
                _hand_over(_holder(node, present[-1]), _holder(node, key))
            elif above:
                _set_following(_holder(node, key), above)  # they described the key now second
        if not len(node):
            node.fa.set_flow_style()  # '{}': an empty block mapping would read back as null

    def sequence(self, node: Any, before: list, after: list, lead: _Holder | None) -> None:
        if len(node) != len(before):
            raise Unpatchable("a list of the file is not the canonical layout's list")
        matcher = difflib.SequenceMatcher(None, [_digest(v) for v in before], [_digest(v) for v in after],
                                          autojunk=False)
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):  # from the end: indices stay valid
            if tag == "equal":
                continue
            common = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for t in range(common):
                new = self.node(node[i1 + t], before[i1 + t], after[j1 + t])
                if new is not node[i1 + t]:
                    node[i1 + t] = new
            for i in reversed(range(i1 + common, i2)):
                _remove_item(node, i, lead)
            for at, value in enumerate(after[j1 + common:j2], start=i1 + common):
                above = _take_lead(node, lead) if at == 0 and len(node) else ""
                node.insert(at, self.styled(value, node[at - 1] if at > 0 else (node[0] if len(node) else None)))
                if at > 0 and not node.fa.flow_style():
                    _hand_over(_holder(node, at - 1), _holder(node, at))
                elif above:
                    _set_following(_holder(node, 0), above)  # they described the item now second
        if not len(node):
            node.fa.set_flow_style()  # '[]': an empty block list would read back as null

    def styled(self, value: Any, like: Any, quotes: bool = False) -> Any:
        """``value`` as document content, flow or block per level as ``like`` is (else as the file
        usually writes that shape); a string replacing a quoted one keeps its quotes (``quotes``)."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

        if isinstance(value, (dict, list)):
            if isinstance(value, dict):
                out: Any = CommentedMap((k, self.styled(v, like.get(k) if isinstance(like, dict) else None))
                                        for k, v in value.items())
            else:
                out = CommentedSeq(self.styled(v, like[0] if isinstance(like, list) and like else None) for v in value)
            shape = type(out)
            flow = like.fa.flow_style() if isinstance(like, shape) else self.habit.get(_shape(out), False)
            if flow:
                out.fa.set_flow_style()
            return out
        if isinstance(value, str):
            if quotes and isinstance(like, DoubleQuotedScalarString):
                return DoubleQuotedScalarString(value)
            if (quotes and isinstance(like, SingleQuotedScalarString)) or needs_quotes(value):
                return SingleQuotedScalarString(value)
        return value


def _digest(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _key(node: Any, key: str) -> Any:
    """The document's own key for a spec key (the loader turns ``true:`` into ``'true'``)."""
    for k in node:
        if k == key or (not isinstance(k, str) and (str(k).lower() if isinstance(k, bool) else str(k)) == key):
            return k
    return None


def _shape(node: Any) -> str | None:
    """'map' or 'seq' for a container of scalars only (the ones files write either way), else None."""
    values = list(node.values()) if isinstance(node, dict) else list(node)
    if any(isinstance(v, (dict, list)) for v in values):
        return None
    return "map" if isinstance(node, dict) else "seq"


def _habit(root: Any) -> dict[str, bool]:
    """Whether the file mostly writes scalar-only mappings and lists in flow style, by shape."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    votes: dict[str, list[int]] = {"map": [0, 0], "seq": [0, 0]}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (CommentedMap, CommentedSeq)):
            shape = _shape(node)
            if shape is not None and node:
                votes[shape][bool(node.fa.flow_style())] += 1
            stack.extend(node.values() if isinstance(node, CommentedMap) else node)
    return {shape: flow > block for shape, (block, flow) in votes.items()}


# -- removing entries with their comments -------------------------------------------------------
def _tail(node: Any) -> _Holder | None:
    """Where ruamel keeps the comment after ``node``'s last line: (container, key, slot), or None.

    That token holds the last line's own comment, then the comment lines that follow it, which
    introduce whatever comes next in the file.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(node, (CommentedMap, CommentedSeq)) or not node or node.fa.flow_style():
        return None
    last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    inner = _tail(node[last])
    if inner is not None:
        return inner
    return node, last, 2 if isinstance(node, CommentedMap) else 0


def _split(holder: _Holder | None) -> tuple[str, str]:
    """(the line's own comment with its newline, the comment lines after it)."""
    if holder is None:
        return "", ""
    container, key, slot = holder
    entry = container.ca.items.get(key)
    token = entry[slot] if entry and len(entry) > slot else None
    if token is None:
        return "", ""
    own, _, rest = token.value.partition("\n")
    return own + "\n", rest


def _set_following(holder: _Holder | None, lines: str) -> None:
    """Replace the comment lines after ``holder``'s line, keeping that line's own comment."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if holder is None:
        return
    container, key, slot = holder
    own, rest = _split(holder)
    if rest == lines:
        return
    entry = container.ca.items.setdefault(key, [None] * 4)
    while len(entry) <= slot:
        entry.append(None)
    value = (own or "\n") + lines
    if value == "\n":
        entry[slot] = None
    elif entry[slot] is not None:
        entry[slot].value = value
    else:
        entry[slot] = CommentToken(value, CommentMark(0), None)


def _holder(container: Any, key: Any) -> _Holder:
    """Where the comment after ``container[key]``'s last line is kept."""
    from ruamel.yaml.comments import CommentedMap

    return _tail(container[key]) or (container, key, 2 if isinstance(container, CommentedMap) else 0)


def _hand_over(previous: _Holder, new: _Holder) -> None:
    """An entry was inserted after ``previous``: the comment lines that followed it introduce the
    entry after the new one, so they now follow the new one."""
    following = _split(previous)[1]
    if following:
        _set_following(previous, "")
        _set_following(new, following)


def _remove_item(seq: Any, index: int, lead: _Holder | None) -> None:
    """Delete ``seq[index]`` with the comment lines above it (they describe it); the lines that
    introduce the next item stay."""
    block = not seq.fa.flow_style()
    following = _split(_holder(seq, index))[1] if block else ""
    if block and index > 0:
        _set_following(_holder(seq, index - 1), following)  # was: the deleted item's own leading lines
    elif block:
        _take_lead(seq, lead)
        if following and index + 1 < len(seq):
            if lead is not None:
                _set_following(lead, following)
            else:
                _prepend_comment(seq, index + 1, following)
    entry = seq.ca.items.get(index)
    if entry and len(entry) > 1:
        entry[1] = None
    del seq[index]


def _take_lead(node: Any, lead: _Holder | None) -> str:
    """Remove and return the comment lines above a block list's first item or a block mapping's first
    key (ruamel keeps them on the container and, after the key's own comment, on the key holding it)."""
    lines = ""
    if node.ca.comment and node.ca.comment[1]:
        lines = "".join(" " * t.start_mark.column + t.value for t in node.ca.comment[1])
        if lead is not None:  # the parent's record of the same lines
            entry = lead[0].ca.items.get(lead[1])
            if entry and len(entry) > 3 and entry[3] is node.ca.comment[1]:
                entry[3] = None
        node.ca.comment[1] = None
    if lead is not None and not node.fa.flow_style():
        lines += _split(lead)[1]
        _set_following(lead, "")
    return lines


def _remove_key(mapping: Any, key: Any, lead: _Holder | None) -> None:
    """Delete ``mapping[key]``; comment lines after its value introduce the next key and stay."""
    keys = list(mapping)
    at = keys.index(key)
    if not mapping.fa.flow_style():
        following = _split(_holder(mapping, key))[1]
        if at > 0:
            _set_following(_holder(mapping, keys[at - 1]), following)
        else:
            _take_lead(mapping, lead)  # the lines above the first key describe it
            if lead is not None:
                _set_following(lead, following)
    del mapping[key]


def _prepend_comment(seq: Any, index: int, lines: str) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    entry = seq.ca.items.setdefault(index, [None, None])
    while len(entry) < 2:
        entry.append(None)
    tokens = [CommentToken(line.lstrip() + "\n", CommentMark(len(line) - len(line.lstrip())), None)
              for line in lines.splitlines()]
    entry[1] = tokens + list(entry[1] or [])
