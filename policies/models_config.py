"""Which model computes which signal: the bundled defaults, or a team's own models (``models.yaml``,
``--model KIND[:SIGNAL]=DIR``, or the models the policy itself names under ``--models-root``).

Why: a simulation is only as right as its signals, and a team's router runs its own classifiers. A
binding names a signal kind (``domain``, ``pii``, ``fact_check``, ``embedding``, ...) and optionally one
signal of it; the model is a directory in the Hugging Face ONNX layout (:mod:`policies.inference.hf_models`).
A signal's own binding beats its kind's; a policy-named model comes last.

``models.yaml``::

    models_root: ../router-models      # optional; relative paths are relative to this file
    models:
      - kind: domain
        path: ./mom-domain-classifier
      - kind: fact_check
        signal: needs_fact_check        # optional: this signal only
        path: ./halugate-sentinel

Policy-named models: the router resolves each classifier module's model as its ``model_id``, else its
``model_ref`` looked up in ``global.model_catalog.system`` (``resolveModuleModelRefs`` and
``resolveSystemModelRef`` in ``src/semantic-router/pkg/config/canonical_global.go``; modules
``prompt_guard``, ``classifier.domain``, ``classifier.pii``, ``hallucination_mitigation.fact_check``,
``feedback_detector`` under ``global.model_catalog.modules``). With a models root, ``<root>/<model id>``
is that kind's model. Left out: the embedding models of ``global.model_catalog.embeddings`` (several
families with their own path fields) and the modality detector (no ``model_id`` there).

This module is light (no NumPy, no ONNX Runtime): the CLI parses options with it before any model loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from .errors import PolicyError

# signal kind -> model roles it can use (hf_models.ROLES); a jailbreak signal's method picks its role
KIND_ROLES: dict[str, tuple[str, ...]] = {
    "domain": ("sequence",), "jailbreak": ("sequence", "embedding"), "fact_check": ("sequence",),
    "user_feedback": ("sequence",), "modality": ("sequence",), "pii": ("token",),
    "embedding": ("embedding",), "complexity": ("embedding",), "preference": ("embedding",),
    "reask": ("embedding",), "kb": ("embedding",),
}
# signal kind -> (module path under global.model_catalog.modules, its model_ref's default name)
NAMED_MODULES: dict[str, tuple[str, ...]] = {
    "domain": ("classifier", "domain"), "pii": ("classifier", "pii"), "jailbreak": ("prompt_guard",),
    "fact_check": ("hallucination_mitigation", "fact_check"), "user_feedback": ("feedback_detector",),
}
MODEL_FILES = ("config.json", "model.onnx", "tokenizer.json")
POLICY_ORIGIN = "the policy's"  # origin of a binding the policy names: "the policy's global.model_catalog..."


@dataclass(frozen=True)
class ModelBinding:
    """A model directory for a signal kind, or for one signal of it; ``origin`` says who chose it."""

    kind: str
    path: Path
    signal: str | None = None
    origin: str = "--model"

    @property
    def key(self) -> str:
        """``kind`` or ``kind:signal``, as the option spells it."""
        return self.kind if self.signal is None else f"{self.kind}:{self.signal}"

    def checksums(self) -> dict[str, str]:
        """sha256 of each model file (a missing file is the loader's error, not reported here)."""
        out = {}
        for name in MODEL_FILES:
            path = self.path / name
            if path.is_file():
                digest = hashlib.sha256()
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
                out[name] = digest.hexdigest()
        return out


def _kind_error(kind: str, where: str, **located: Any) -> PolicyError:
    from .errors import did_you_mean

    return PolicyError.single("model-kind", f"{where}: '{kind}' is not a signal kind a model can compute "
                              f"(one of {', '.join(KIND_ROLES)})", suggestion=did_you_mean(kind, KIND_ROLES),
                              **located)


def parse_binding(text: str, base: Path | None = None) -> ModelBinding:
    """``KIND[:SIGNAL]=DIR`` (the ``--model`` option) as a binding; DIR relative to ``base`` when given."""
    target, sep, directory = text.partition("=")
    kind, _, signal = target.partition(":")
    if not sep or not kind or not directory:
        raise PolicyError.single("model-option", f"--model {text!r}: expected KIND[:SIGNAL]=DIR",
                                 suggestion="e.g. --model domain=./my-domain-model")
    if kind not in KIND_ROLES:
        raise _kind_error(kind, f"--model {text!r}")
    path = Path(directory).expanduser()
    return ModelBinding(kind, path if base is None or path.is_absolute() else base / path, signal or None)


@dataclass(frozen=True)
class ModelsConfig:
    """Bindings (first match wins: a signal's own, then its kind's) and the models root."""

    bindings: tuple[ModelBinding, ...] = ()
    root: Path | None = None
    source: str | None = None  # the models.yaml read, if any

    def find(self, kind: str, signal: str) -> ModelBinding | None:
        """The model for one signal, or None for the bundled default."""
        own = (b for b in self.bindings if b.kind == kind and b.signal == signal)
        return next(own, None) or next((b for b in self.bindings if b.kind == kind and b.signal is None), None)

    def __bool__(self) -> bool:
        return bool(self.bindings)

    def merged(self, other: "ModelsConfig") -> "ModelsConfig":
        """This config's bindings before ``other``'s (so they win); this root unless it has none."""
        return ModelsConfig(self.bindings + other.bindings, self.root or other.root, self.source or other.source)

    def for_policy(self, policy: Any) -> "ModelsConfig":
        """With the models ``policy`` names under ``global.model_catalog`` appended (see the module
        docstring); unchanged without a root."""
        if self.root is None:
            return self
        return replace(self, bindings=self.bindings + tuple(policy_named(getattr(policy, "global_", None), self.root)))

    def to_data(self, base: Path | None = None) -> dict[str, Any]:
        """The ``models.yaml`` mapping; paths relative to ``base`` where they lie under it."""
        def shown(path: Path) -> str:
            if base is not None:
                try:
                    return str(path.resolve().relative_to(base.resolve()))
                except ValueError:
                    pass
            return str(path)
        data: dict[str, Any] = {}
        if self.root is not None:
            data["models_root"] = shown(self.root)
        data["models"] = [{"kind": b.kind, **({"signal": b.signal} if b.signal else {}), "path": shown(b.path)}
                          for b in self.bindings if not b.origin.startswith(POLICY_ORIGIN)]
        return data

    def checksums(self) -> dict[str, dict[str, str]]:
        """Per binding key, the sha256 of each of its files: what a bundle manifest records."""
        return {b.key: b.checksums() for b in self.bindings}


def policy_named(global_: dict[str, Any] | None, root: Path) -> Iterable[ModelBinding]:
    """Kind-wide bindings for the classifier models a router config names, under ``root``."""
    catalog = (global_ or {}).get("model_catalog") or {}
    modules, system = catalog.get("modules") or {}, catalog.get("system") or {}
    for kind, module_path in NAMED_MODULES.items():
        module: Any = modules
        for part in module_path:
            module = module.get(part) if isinstance(module, dict) else None
        if not isinstance(module, dict):
            continue
        where = "global.model_catalog.modules." + ".".join(module_path)
        model_id, ref = module.get("model_id"), module.get("model_ref")
        if not model_id and ref:  # resolveSystemModelRef: an explicit model_id wins over the ref
            model_id, where = system.get(ref), f"global.model_catalog.system.{ref}"
            if not model_id:
                raise PolicyError.single("model-ref", f"global.model_catalog.modules.{'.'.join(module_path)}."
                                         f"model_ref '{ref}' is not configured in global.model_catalog.system",
                                         path=("global", "model_catalog", "modules", *module_path, "model_ref"))
        if model_id:
            yield ModelBinding(kind, root / str(model_id), None, origin=f"{POLICY_ORIGIN} {where}")


def load_models_yaml(path: str | Path) -> ModelsConfig:
    """A ``models.yaml``; every error names the file, line and field."""
    from .yaml_source import load_document, read_file

    path = Path(path)
    raw, file = read_file(path)
    doc = load_document(raw, file)
    return models_from_data(doc.data, path.parent, file, doc.position)


def models_from_data(data: Any, base: Path, file: str | None = None,
                     position: Any = lambda _path: (None, None)) -> ModelsConfig:
    """A ``models.yaml`` mapping (paths relative to ``base``); ``position(path) -> (line, column)``."""
    def error(code: str, message: str, where: tuple[Any, ...], suggestion: str | None = None) -> PolicyError:
        line, column = position(where)
        return PolicyError.single(code, message, file=file, line=line, column=column, path=where,
                                  suggestion=suggestion)

    if not isinstance(data, dict):
        raise error("models-yaml", "models.yaml must be a mapping with a 'models' list", ())
    unknown = sorted(set(data) - {"models", "models_root"})
    if unknown:
        raise error("models-yaml", f"unknown field(s) {unknown}", (unknown[0],), "fields: models, models_root")
    entries = data.get("models") or []
    if not isinstance(entries, list):
        raise error("models-yaml", "'models' must be a list of {kind, signal?, path}", ("models",))
    bindings = []
    for i, entry in enumerate(entries):
        where = ("models", i)
        if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str) or not isinstance(entry.get("path"), str):
            raise error("models-yaml", "each model needs a 'kind' and a 'path' (strings)", where)
        extra = sorted(set(entry) - {"kind", "signal", "path"})
        if extra:
            raise error("models-yaml", f"unknown field(s) {extra}", where + (extra[0],), "fields: kind, signal, path")
        if entry["kind"] not in KIND_ROLES:
            line, column = position(where + ("kind",))
            raise _kind_error(entry["kind"], "models.yaml", file=file, line=line, column=column,
                              path=where + ("kind",))
        line, _ = position(where)
        directory = Path(entry["path"]).expanduser()
        bindings.append(ModelBinding(entry["kind"], directory if directory.is_absolute() else base / directory,
                                     str(entry["signal"]) if entry.get("signal") else None,
                                     origin=f"{file or 'models.yaml'}:{line}" if line else (file or "models.yaml")))
    root = data.get("models_root")
    if root is not None and not isinstance(root, str):
        raise error("models-yaml", "'models_root' must be a path", ("models_root",))
    return ModelsConfig(tuple(bindings), (base / Path(root).expanduser()) if root else None, file)


def dump_models_yaml(config: ModelsConfig, base: Path | None = None) -> str:
    """``models.yaml`` text for ``config`` (what the studio stores beside a policy version or bundle)."""
    from .yaml_source import dump_yaml

    return dump_yaml(config.to_data(base))


@dataclass
class _Active:
    config: ModelsConfig = field(default_factory=ModelsConfig)


_ACTIVE = _Active()


def active_models() -> ModelsConfig:
    """The process's model mapping (set once by the CLI's ``--model`` options); empty by default."""
    return _ACTIVE.config


def use_models(config: ModelsConfig) -> None:
    """Make ``config`` the mapping every new :class:`~policies.simulation.neural.NeuralContext` uses."""
    _ACTIVE.config = config
