"""Policy bundles: everything the router and a reviewer need, verifiable and reproducible.

A bundle is a tar.gz with ``config.yaml`` (vLLM SR 0.4.0), ``kubernetes.yaml`` (the Pool+Route
pair, when the policy fits it), the ONNX models, tokenizers and label maps its signals use,
``conflicts.json`` (the conflict report), ``simulation.json`` (summary on the named traffic, if
any), ``models.yaml`` (the team's own models the simulation used, if any: :mod:`policies.models_config`;
their weights stay where they are, the manifest records each file's sha256 under ``models``) and
``manifest.json`` (format version, policy version and message, creation time, tool and dependency
versions, sha256 of every file).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..conflicts import analyze_policy
from ..errors import Finding, PolicyError
from ..export import export_text, render_export
from ..loader import loads_policy
from ..model import Policy
from ..models_config import ModelsConfig, dump_models_yaml
from ..yaml_source import decode_text
from .archive import Limits, bundle_error, read_archive, write_archive
from .contents import model_files, tool_versions

FORMAT = "routing-studio-bundle"
FORMAT_VERSION = 1
CONFIG, KUBERNETES, CONFLICTS, SIMULATION, MANIFEST, MODELS = (
    "config.yaml", "kubernetes.yaml", "conflicts.json", "simulation.json", "manifest.json", "models.yaml")


@dataclass(frozen=True)
class PolicyRef:
    """Which policy version the bundle holds (from the store, or a file)."""

    name: str
    version: int | None = None
    message: str = ""


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=str) + "\n").encode()


def conflict_report(policy: Policy) -> list[dict[str, Any]]:
    """The conflict findings as recorded in a bundle (stable fields only, best first)."""
    report = analyze_policy(policy)
    keep = ("id", "kind", "severity", "profile", "decisions", "evidence", "explanation")
    return [{k: f.to_dict(with_smtlib=False)[k] for k in keep} for f in report.findings]


def build_bundle(policy: Policy, ref: PolicyRef, created_at: datetime, simulation: dict[str, Any] | None = None,
                 force: bool = False, models: ModelsConfig | None = None) -> tuple[bytes, list[Finding]]:
    """The bundle archive bytes; the same inputs (and ``created_at``) give the same bytes. ``models``:
    the own-model mapping the simulation used (recorded with its files' checksums)."""
    config, notes = render_export(policy, "vllm-sr", force=force)
    files: dict[str, bytes] = {CONFIG: config.encode()}
    refusals: list[str] = []
    try:
        files[KUBERNETES] = export_text(policy, "k8s", name=ref.name)[0].encode()
    except PolicyError as exc:
        refusals = [f.message for f in exc.findings]
    files[CONFLICTS] = _json(conflict_report(policy))
    if simulation is not None:
        files[SIMULATION] = _json(simulation)
    files.update(model_files(policy))
    if models:
        files[MODELS] = dump_models_yaml(models).encode()
    created = created_at.astimezone(timezone.utc).replace(microsecond=0)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "policy": {"name": ref.name, "version": ref.version, "message": ref.message},
        "created_at": created.isoformat(),
        "tool": tool_versions(),
        "kubernetes": {"included": KUBERNETES in files, "refused_because": refusals},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    if models:
        manifest["models"] = {b.key: {"path": str(b.path), "files": b.checksums()} for b in models.bindings}
    files[MANIFEST] = _json(manifest)
    return write_archive(files, int(created.timestamp())), notes


@dataclass
class Verification:
    """What ``bundle verify`` found: every check, and whether the bundle is intact and unchanged."""

    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    findings_added: list[dict[str, Any]] = field(default_factory=list)
    findings_removed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.problems or self.findings_added or self.findings_removed)


def open_bundle(data: bytes, file: str = "<bundle>", limits: Limits = Limits()) -> tuple[dict[str, bytes], dict]:
    """Read a bundle safely: its files and its parsed manifest, or a clear refusal."""
    files = read_archive(data, file, limits)
    raw = files.get(MANIFEST)
    if raw is None:
        raise bundle_error("bundle has no manifest.json", file)
    if len(raw) > limits.max_manifest_bytes:
        raise bundle_error(f"manifest.json is {len(raw):,} bytes, over the {limits.max_manifest_bytes:,}-byte limit",
                           file)
    try:
        manifest = json.loads(decode_text(raw, f"{file}:{MANIFEST}"))
    except json.JSONDecodeError as exc:
        raise bundle_error(f"manifest.json is not JSON: {exc.msg} at line {exc.lineno}", file) from None
    except RecursionError:
        raise bundle_error("manifest.json nests too deeply to be a bundle manifest", file) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise bundle_error("manifest.json is not a Routing Studio bundle manifest", file)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise bundle_error(f"bundle format version {manifest.get('format_version')!r} is not supported "
                           f"(this tool reads {FORMAT_VERSION})", file, "upgrade routing-studio")
    if not isinstance(manifest.get("files"), dict):
        raise bundle_error("manifest.json lists no files", file)
    return files, manifest


def bundle_policy(files: dict[str, bytes], file: str = "<bundle>") -> Policy:
    if CONFIG not in files:
        raise bundle_error("bundle has no config.yaml", file)
    return loads_policy(files[CONFIG], f"{file}:{CONFIG}")


def verify_bundle(data: bytes, file: str = "<bundle>") -> Verification:
    """Checksums, re-validation of the config, and a re-run of the conflict analysis against the record."""
    files, manifest = open_bundle(data, file)
    result = Verification(manifest)
    listed = manifest["files"]
    for name in sorted(set(files) - {MANIFEST} | set(listed)):
        if name not in files:
            result.problems.append(f"{name}: listed in the manifest but missing")
        elif name not in listed:
            result.problems.append(f"{name}: present but not listed in the manifest")
        elif hashlib.sha256(files[name]).hexdigest() != listed[name]:
            result.problems.append(f"{name}: sha256 does not match the manifest")
    result.problems += changed_models(manifest.get("models"))
    try:
        policy = bundle_policy(files, file)
        render_export(policy, "vllm-sr")
    except PolicyError as exc:
        result.problems.extend(f"config.yaml: {f.human()}" for f in exc.findings)
        return result
    try:
        recorded = json.loads(files.get(CONFLICTS, b"[]"))
    except (json.JSONDecodeError, RecursionError, UnicodeDecodeError):
        result.problems.append("conflicts.json is not JSON")
        return result
    current = conflict_report(policy)
    key = lambda f: (f.get("id"), f.get("kind"), f.get("severity"))  # noqa: E731
    before, after = {key(f): f for f in recorded if isinstance(f, dict)}, {key(f): f for f in current}
    result.findings_added = [after[k] for k in after.keys() - before.keys()]
    result.findings_removed = [before[k] for k in before.keys() - after.keys()]
    return result


def changed_models(recorded: Any) -> list[str]:
    """The recorded own-model files that differ on this machine (a directory absent here is not
    checked: the weights live with the team, not in the bundle)."""
    from pathlib import Path

    from ..models_config import ModelBinding

    problems = []
    for key, entry in (recorded or {}).items() if isinstance(recorded, dict) else ():
        path = Path(str(entry.get("path", ""))) if isinstance(entry, dict) else None
        if path is None or not path.is_dir():
            continue
        now = ModelBinding(key.partition(":")[0], path).checksums()
        for name, sha in (entry.get("files") or {}).items():
            if now.get(name) != sha:
                problems.append(f"models.yaml: {key} model file {path / name} changed since the bundle was built")
    return problems
