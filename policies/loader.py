"""Load a policy from YAML text or a file, in any supported layout, with located errors; save it back.

The loader never raises anything but :class:`PolicyError`: YAML syntax, encoding, structure and
type errors all arrive as findings naming file, line, column and field.

A loaded policy keeps its file's text, and saving writes that text back with only the model's
changes patched in (comments, key order, quoting and flow style kept: ``yaml_roundtrip``). Each
patch is checked by reading it back; one that does not read as the model (a change where the file's
layout differs from the canonical one) gives the canonical YAML instead, never a different policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from dataclasses import replace

from .dialects import detect_dialect, normalise
from .errors import Finding, PolicyError, Severity, SpecPath
from .model import Policy
from .yaml_source import SourceMap, YamlDocument, decode_text, dump_yaml, load_documents, read_file


def _data_path(data: Any, loc: tuple) -> SpecPath:
    """The longest prefix of a pydantic error location that exists in the data (drops union tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            if isinstance(node, dict) and isinstance(part, str) and not path[-1:] == [part]:
                # a missing required field: name it, located at its parent mapping
                if part in {"name", "type", "model"}:
                    path.append(part)
            break
        path.append(part)
    return tuple(path)


def _type_findings(exc: ValidationError, data: Any) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for err in exc.errors(include_url=False):
        path = _data_path(data, tuple(err["loc"]))
        key = (path, err["type"])
        if key in seen:
            continue
        seen.add(key)
        message = err["msg"]
        if err["type"] == "missing":
            message = f"required field '{err['loc'][-1]}' is missing"
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            message = f"{message} (got {err['input']!r})"
        out.append(Finding("type-error", Severity.ERROR, message, path=path))
    return out


def policy_from_documents(docs: list[YamlDocument], dialect: str | None = None, text: str | None = None) -> Policy:
    """Build the typed policy from parsed documents (read from ``text``); type errors become located findings."""
    file = docs[0].file
    data = [d.data for d in docs]
    load_notes = [n for d in docs for n in d.findings]
    try:
        dialect = dialect or detect_dialect(data)
    except PolicyError as exc:
        raise PolicyError([replace(f, file=f.file or file) for f in exc.findings]) from None
    # Kubernetes, Helm and ConfigMap paths start with the document index, even when the file holds one document.
    source_map = SourceMap([d.root for d in docs if d.root is not None],
                           indexed=dialect in ("kubernetes", "helm", "configmap"), text=text)
    try:
        normalised = normalise(data, dialect)
    except PolicyError as exc:
        for f in exc.findings:
            f.file = f.file or file
            if f.line is None and f.path:
                f.line, f.column = source_map.position(f.path)
        raise PolicyError(exc.findings) from None
    carrier = Policy()
    carrier.attach_source(file, source_map, normalised.dialect, moves=normalised.moves)
    try:
        policy = Policy.from_spec(normalised.data)
    except ValidationError as exc:
        raise PolicyError([carrier.locate(f) for f in _type_findings(exc, normalised.data)]) from None
    notes = [carrier.locate(n) if not n.line else n for n in load_notes + normalised.notes]
    return policy.attach_source(file, source_map, normalised.dialect, notes, normalised.moves)


def loads_policy(text: str | bytes, file: str | None = None, dialect: str | None = None) -> Policy:
    """Parse YAML text (any supported layout) into a :class:`Policy`."""
    docs = load_documents(text, file)  # bounds the size before anything is decoded
    return policy_from_documents(docs, dialect, decode_text(text, file) if isinstance(text, bytes) else text)


def load_policy(path: str | Path, dialect: str | None = None) -> Policy:
    """Read and parse a policy file (any supported layout)."""
    raw, name = read_file(path)
    return loads_policy(raw, name, dialect)


class Revision(NamedTuple):
    """A text rewritten for an edit; ``rewritten`` says why the file's own layout was not kept (None: it was)."""

    text: str
    rewritten: str | None = None


def revise(text: str, before: dict[str, Any], after: dict[str, Any], file: str | None = None) -> Revision:
    """``text``, which reads as the spec ``before``, rewritten to read as ``after`` with the least change.

    The patch is read back and must give ``after``; where it cannot be made or does not (the change
    lands where the file's layout is not the canonical one), the canonical YAML of ``after`` is returned.
    """
    if before == after:
        return Revision(text)
    from .yaml_roundtrip import Unpatchable, patch_text

    try:
        patched = patch_text(text, before, after)
    except Unpatchable as exc:
        return Revision(dump_yaml(after), str(exc))
    try:
        if loads_policy(patched, file).to_spec() == after:
            return Revision(patched)
    except PolicyError:
        pass
    return Revision(dump_yaml(after), "the file patched in place did not read back as the edit")


def revise_text(text: str, before: dict[str, Any], after: dict[str, Any], file: str | None = None) -> str:
    """The text of :func:`revise`."""
    return revise(text, before, after, file).text


def dumps_policy(policy: Policy) -> str:
    """The policy as YAML: its file's own text with the model's changes patched in, or canonical YAML
    for a policy built in memory."""
    source = policy.source_map.text if policy.source_map is not None else None
    if source is None:
        return dump_yaml(policy.to_spec())
    as_loaded = loads_policy(source, policy.source_file, policy.dialect).to_spec()
    return revise_text(source, as_loaded, policy.to_spec(), policy.source_file)


def save_policy(policy: Policy, path: str | Path) -> None:
    """Write :func:`dumps_policy` to ``path`` (UTF-8)."""
    Path(path).write_text(dumps_policy(policy), encoding="utf-8")
