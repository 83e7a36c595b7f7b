"""Compatibility table over the router's own configs: import -> validate -> export -> ``vllm-sr config validate``.

Runs every full config under ``../shared/data/vllm-sr-upstream/`` and ``tests/fixtures/upstream/`` (and any
directory or file given as an argument, walked recursively) through the engine and vllm-sr 0.4.0's own
validation (in-process: :mod:`policies.vllm_sr_check`, the same checks as ``vllm-sr config validate --config
FILE``), and prints one line per file and the totals: tried, opened, validate-clean, export accepted by vllm-sr,
refused (why). The ``as-is`` column is vllm-sr's verdict on the original's router config (the file itself, the
``config:`` of chart values, a ConfigMap's ``config.yaml``; ``n/a`` for resources vllm-sr does not read), so a
file vllm-sr accepts as written but whose export it refuses stands out. An IntelligentRoute and an
IntelligentPool in two files of one folder are tried as the pair they are. Fragments (a file with only some
blocks of a config) and CRD definitions are listed apart, not tried.

    python3 scripts/upstream_compat.py [DIR_OR_FILE ...]
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = (ROOT.parent / "shared" / "data" / "vllm-sr-upstream", ROOT / "tests" / "fixtures" / "upstream")


@dataclass
class Row:
    """One file's way through the pipeline; ``refused`` says where and why it stopped (empty: it got through)."""

    path: Path
    as_is: bool | None = None  # vllm-sr's verdict on the original; None: not a file vllm-sr reads
    opened: bool = False
    clean: bool = False
    accepted: bool = False
    refused: str = ""


def _only_kind(docs: list) -> str | None:
    """The kind of the one ``vllm.ai`` resource in ``docs`` when that is all they hold."""
    kinds = [d.get("kind") for d in docs if isinstance(d, dict) and str(d.get("apiVersion", "")).startswith("vllm.ai/")]
    return kinds[0] if len(kinds) == 1 == len(docs) else None


def config_files(roots: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(full configs, [(skipped file, why)]) among the YAML files under ``roots``."""
    import yaml

    from policies.dialects import fragment_kind

    full, skipped = [], []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))
        for path in files:
            try:
                docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
            except yaml.YAMLError:
                full.append(path)  # the import reports the syntax error with its place
                continue
            if any(isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition" for d in docs):
                skipped.append((path, "CRD definition"))
            elif len(docs) == 1 and isinstance(docs[0], dict) and fragment_kind(docs[0]):
                skipped.append((path, f"fragment ({fragment_kind(docs[0])})"))
            else:
                full.append(path)
    return full, skipped


def pair_pools(full: list[Path], skipped: list[tuple[Path, str]]) -> dict[Path, Path]:
    """{route file: pool file} for each folder holding one file of only an IntelligentRoute and one of only an
    IntelligentPool (the router's e2e profiles apply them as two files); the pool file moves to ``skipped``."""
    import yaml

    kinds = {}
    for path in full:
        try:
            kinds[path] = _only_kind([d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None])
        except yaml.YAMLError:
            continue
    pools = {p.parent: p for p in full if kinds.get(p) == "IntelligentPool"}
    pairs = {p: pools[p.parent] for p in full if kinds.get(p) == "IntelligentRoute" and p.parent in pools}
    for route, pool in pairs.items():
        full.remove(pool)
        skipped.append((pool, f"tried with {route.name}, the IntelligentRoute beside it"))
    return pairs


def original_config(text: str) -> dict | None:
    """The router config vllm-sr would read from this file as written; None for what vllm-sr does not read."""
    import yaml

    from policies.dialects import configmap, helm, is_router_config

    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return None
    has_keys = lambda d: is_router_config([d])  # noqa: E731 - the dialects' own test of a config's keys
    if (index := helm.values_index(docs, has_keys)) is not None:
        return docs[index][helm.config_key(docs[index], has_keys)]
    if (index := configmap.config_index(docs, has_keys)) is not None:
        return next(yaml.safe_load(docs[index]["data"][k]) for k in configmap.CONFIG_KEYS if k in docs[index]["data"])
    if len(docs) == 1 and isinstance(docs[0], dict) and "apiVersion" not in docs[0] and is_router_config(docs):
        return docs[0]
    return None


def _reason(findings: list) -> str:
    first = findings[0]
    return f"{first.code}: {first.message}"[:110] + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else "")


def run_file(path: Path, workdir: Path, pool: Path | None = None) -> Row:
    """Import (as ``routing-studio import`` does), validate, export as vllm-sr and check that export with vllm-sr
    0.4.0; ``pool``: the IntelligentPool file that goes with the IntelligentRoute ``path``."""
    import yaml

    from policies import vllm_sr_check
    from policies.dialects import is_router_config
    from policies.errors import PolicyError, Severity
    from policies.export import errors_for_target, export_text
    from policies.loader import loads_policy
    from policies.validation import validate_policy

    row = Row(path)
    text = path.read_text(encoding="utf-8")
    if pool is not None:
        text = f"{text.rstrip()}\n---\n{pool.read_text(encoding='utf-8')}"
    original = original_config(text)
    if original is not None:
        as_is = workdir / f"{abs(hash(str(path)))}.original.yaml"
        as_is.write_text(yaml.safe_dump(original, sort_keys=False), encoding="utf-8")
        row.as_is = not vllm_sr_check.vllm_sr_errors(as_is)
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        docs = None  # the import reports the syntax error with its place
    if docs is not None and not is_router_config(docs):
        row.refused = "import: not-a-router-config: no top-level key of any router layout"
        return row
    try:
        policy = loads_policy(text, str(path))
    except PolicyError as exc:
        row.refused = "import: " + _reason(exc.findings)
        return row
    row.opened = True
    import_errors = [f for f in policy.import_notes if f.severity is Severity.ERROR]
    errors = import_errors + errors_for_target(validate_policy(policy), "vllm-sr")
    row.clean = not errors
    if errors:
        row.refused = "validate: " + _reason(errors)
        return row
    try:
        text, _ = export_text(policy, "vllm-sr")
    except PolicyError as exc:
        row.refused = "export: " + _reason(exc.findings)
        return row
    out = workdir / f"{abs(hash(str(path)))}.yaml"
    out.write_text(text, encoding="utf-8")
    theirs = vllm_sr_check.vllm_sr_errors(out)
    row.accepted = not theirs
    if theirs:
        row.refused = f"vllm-sr: {theirs[0][:110]}" + (f" (+{len(theirs) - 1} more)" if len(theirs) > 1 else "")
    return row


def table(rows: list[Row], skipped: list[tuple[Path, str]]) -> str:
    def name(p: Path) -> str:
        for base in (ROOT, ROOT.parent):
            if p.is_relative_to(base):
                return str(p.relative_to(base))
        return str(p)

    yes = {True: "yes", False: "-", None: "n/a"}
    lines = [f"{'file':<78} {'as-is':>5} {'open':>4} {'clean':>5} {'vllm-sr':>7}  refused (why)"]
    for r in rows:
        lines.append(f"{name(r.path):<78} {yes[r.as_is]:>5} {yes[r.opened]:>4} {yes[r.clean]:>5} "
                     f"{yes[r.accepted]:>7}  {r.refused}")
    for path, why in skipped:
        lines.append(f"{name(path):<78} {'':>5} {'':>4} {'':>5} {'':>7}  not tried: {why}")
    stage = Counter(r.refused.split(":")[0] for r in rows if r.refused)
    accepted_as_is = [r for r in rows if r.as_is]
    lines.append("")
    stages = ", ".join(f"{k} {v}" for k, v in sorted(stage.items())) or "none"
    lines.append(f"tried {len(rows)}, opened {sum(r.opened for r in rows)}, "
                 f"validate-clean {sum(r.clean for r in rows)}, "
                 f"export accepted by vllm-sr {sum(r.accepted for r in rows)}, "
                 f"refused {sum(bool(r.refused) for r in rows)} ({stages}); not tried {len(skipped)}")
    lines.append(f"vllm-sr accepts {len(accepted_as_is)} as written; of those, our export is accepted for "
                 f"{sum(r.accepted for r in accepted_as_is)}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from policies import vllm_sr_check

    if not vllm_sr_check.available():
        print(f"vllm-sr=={vllm_sr_check.VLLM_SR_VERSION} is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 2
    roots = [Path(a).resolve() for a in argv] or [d for d in DEFAULT_DIRS if d.exists()]
    full, skipped = config_files(roots)
    pairs = pair_pools(full, skipped)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run_file(p, Path(tmp), pairs.get(p)) for p in full]
    print(table(rows, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
