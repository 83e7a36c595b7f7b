"""Safe YAML loading that remembers where every value came from, and safe YAML writing.

PyYAML's C loader composes a node graph with marks; we build plain Python values from it
ourselves so that each spec path (``('routing', 'decisions', 3, 'rules')``) keeps its line and
column. Only the YAML core schema is accepted (no ``!!python`` or custom tags), and bounds on
size, depth and alias expansion keep a crafted file from exhausting memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import re
from typing import Any

import yaml

from .errors import Finding, PolicyError, Severity, SpecPath

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# Strings that a YAML 1.2 reader (Go yaml.v3 in the router) would take for a number, bool or null.
# PyYAML resolves YAML 1.1, so it leaves some of them ('1e3', '0o10') plain; we quote them all.
_YAML12_SCALAR = re.compile(r"""^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE
    |[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+
    |[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)


_RESOLVER = yaml.resolver.Resolver()


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Safe dumper whose strings re-read as strings under YAML 1.1 and 1.2 alike."""


def needs_quotes(value: str) -> bool:
    """Whether a YAML 1.2 reader (the router's Go yaml.v3) or a 1.1 one (PyYAML, this loader) would read
    plain ``value`` as another type than a string."""
    return bool(_YAML12_SCALAR.match(value)) or _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if needs_quotes(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 128
MAX_NODES = 2_000_000  # counts alias re-visits, so a "billion laughs" file stops here
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


class SourceMap:
    """Where each spec path sits in the file, found by walking the composed nodes on demand.

    Positions are looked up only when a finding needs one, so loading a clean file pays nothing
    for them. A mapping entry's position is its key; a list item's is the item's first character.
    With several documents (or ``indexed``) the first path element is the document index.
    ``text`` is the file as written, which saving patches (``policies.loader.dumps_policy``).
    """

    def __init__(self, roots: list[yaml.Node], indexed: bool | None = None, text: str | None = None):
        self.roots = roots
        self.indexed = len(roots) > 1 if indexed is None else indexed
        self.text = text

    def lookup(self, path: SpecPath) -> tuple[int, int] | None:
        path = tuple(path)
        if self.indexed:
            if not path or not isinstance(path[0], int) or not 0 <= path[0] < len(self.roots):
                return None
            node, path = self.roots[path[0]], path[1:]
        elif self.roots:
            node = self.roots[0]
        else:
            return None
        mark = node.start_mark
        for part in path:
            if isinstance(node, yaml.MappingNode):
                entry = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)),
                             None)
                if entry is None:
                    return None
                mark, node = entry[0].start_mark, entry[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                mark = node.start_mark
            else:
                return None
        return (mark.line + 1, mark.column + 1)

    def position(self, path: SpecPath) -> tuple[int | None, int | None]:
        """Line/column of ``path`` or of its nearest ancestor that the file has."""
        path = tuple(path)
        while True:
            found = self.lookup(path)
            if found is not None:
                return found
            if not path:
                return (None, None)
            path = path[:-1]


@dataclass
class YamlDocument:
    """One parsed document: its data, its composed node tree (for positions) and load-time findings."""

    data: Any
    root: yaml.Node | None = None
    file: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def position(self, path: SpecPath) -> tuple[int | None, int | None]:
        return SourceMap([self.root] if self.root is not None else []).position(path)


class _Builder:
    """Plain values from composed nodes, with bounds on size, depth and alias expansion."""

    def __init__(self, file: str | None):
        self.file = file
        self.findings: list[Finding] = []
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, message: str, node: yaml.Node, code: str = "yaml-limit") -> PolicyError:
        return PolicyError.single(code, message, file=self.file, line=node.start_mark.line + 1,
                                  column=node.start_mark.column + 1)

    def check_expansion(self, root: yaml.Node) -> None:
        """Refuse an alias bomb before building it: expanded sizes are summed once per distinct node."""
        sizes: dict[int, int] = {}

        def size(node: yaml.Node, depth: int) -> int:
            known = sizes.get(id(node))
            if known is not None:
                return known
            if depth > MAX_DEPTH:
                raise self.error(f"document nests deeper than {MAX_DEPTH} levels", node)
            total = 1
            if isinstance(node, yaml.SequenceNode):
                total += sum(size(child, depth + 1) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
            if total > MAX_NODES:
                raise self.error(f"document expands to more than {MAX_NODES:,} values (alias bomb?)", node)
            sizes[id(node)] = total
            return total

        size(root, 0)

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(f"document expands to more than {MAX_NODES:,} values (alias bomb?)", node)
        if depth > MAX_DEPTH:
            raise self.error(f"document nests deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG:  # the common case, without the constructor's bookkeeping
                return node.value
            try:
                return self.constructor.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise self.error(f"unsupported YAML value: {exc.problem}", node, "yaml-tag") from None
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.error(f"unsupported YAML tag {node.tag}", node, "yaml-tag")
            return [self.build(child, depth + 1) for child in node.value]
        if node.tag != "tag:yaml.org,2002:map":
            raise self.error(f"unsupported YAML tag {node.tag}", node, "yaml-tag")
        return self.build_mapping(node, depth)

    def build_mapping(self, node: yaml.MappingNode, depth: int) -> dict:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged = self.build(value_node, depth + 1)
                for item in merged if isinstance(merged, list) else [merged]:
                    if not isinstance(item, dict):
                        raise self.error("'<<' merge needs a mapping", value_node, "yaml-syntax")
                    for k, v in item.items():
                        out.setdefault(k, v)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("mapping keys must be plain values", key_node, "yaml-syntax")
            key = self.build(key_node, depth + 1)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise self.error("mapping keys must be plain values", key_node, "yaml-syntax")
            key = key if isinstance(key, str) else str(key).lower() if isinstance(key, bool) else str(key)
            if key in out:
                self.findings.append(Finding(
                    "yaml-duplicate-key", Severity.ERROR,
                    f"key '{key}' appears twice in this mapping; YAML readers disagree on which wins",
                    file=self.file, line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1,
                    suggestion=f"keep one '{key}' entry"))
            out[key] = self.build(value_node, depth + 1)
        return out


def decode_text(raw: bytes, file: str | None = None) -> str:
    """UTF-8 (with optional BOM) or a located error naming the first bad byte."""
    if b"\x00" in raw[:8192]:
        raise PolicyError.single("not-text", "file is binary (contains NUL bytes), not a YAML document",
                                 file=file, line=1, column=1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise PolicyError.single("not-utf8", f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                                 file=file, line=line, column=column,
                                 suggestion="re-save the file as UTF-8") from None


def load_documents(text: str | bytes, file: str | None = None) -> list[YamlDocument]:
    """Every document of a YAML stream, with positions; raises :class:`PolicyError` with a position."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise PolicyError.single("yaml-limit", f"file is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB", file=file)
        text = decode_text(text, file)
    if len(text) > MAX_DOCUMENT_BYTES:
        raise PolicyError.single("yaml-limit", f"document is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB", file=file)
    if not text.strip():
        raise PolicyError.single("empty", "file is empty: expected a YAML mapping", file=file, line=1, column=1)
    docs: list[YamlDocument] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            builder = _Builder(file)
            builder.check_expansion(node)
            data = builder.build(node)
            docs.append(YamlDocument(data, node, file, builder.findings))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyError.single("yaml-syntax", f"YAML syntax error: {problem}", file=file,
                                 line=mark.line + 1 if mark else None,
                                 column=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark attribute
        raise PolicyError.single("yaml-syntax", f"YAML error: {exc}", file=file) from None
    except RecursionError:
        raise PolicyError.single("yaml-limit", "document nests too deeply", file=file) from None
    if not docs:
        raise PolicyError.single("empty", "file holds no YAML document", file=file, line=1, column=1)
    return docs


def load_document(text: str | bytes, file: str | None = None) -> YamlDocument:
    """Exactly one mapping document."""
    docs = load_documents(text, file)
    if len(docs) != 1:
        raise PolicyError.single("yaml-structure", f"expected one YAML document, found {len(docs)}", file=file)
    if not isinstance(docs[0].data, dict):
        raise PolicyError.single("yaml-structure", f"top level must be a mapping, found {type(docs[0].data).__name__}",
                                 file=file, line=1, column=1)
    return docs[0]


def read_file(path: str | Path) -> tuple[bytes, str]:
    """Raw bytes of ``path`` with a clean error for a missing or unreadable file."""
    name = str(path)
    try:
        return Path(path).read_bytes(), name
    except FileNotFoundError:
        raise PolicyError.single("file-not-found", f"no such file: {name}", file=name) from None
    except IsADirectoryError:
        raise PolicyError.single("file-not-found", f"{name} is a directory, not a file", file=name) from None
    except OSError as exc:
        raise PolicyError.single("file-unreadable", f"cannot read {name}: {exc.strerror}", file=name) from None


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the given key order; PyYAML quotes every string that would re-parse differently."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def dump_yaml_all(documents: list[Any]) -> str:
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=100)
