"""Where the bundled models live and what their manifest says.

The models are built by ``scripts/build_models.py`` into ``sample_data/models`` and installed with
the package; :func:`sample_data.models_dir` finds them (or ``$ROUTING_STUDIO_MODELS``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from policies.errors import PolicyError
from sample_data import models_dir

ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
PROBE_MODEL = "jailbreak.onnx"


def bundled_path(name: str) -> Path:
    """Path of one bundled file (not checked: loaders report a missing file with its path)."""
    return models_dir() / name


def manifest() -> dict[str, Any]:
    """The parsed ``manifest.json`` of the bundle."""
    path = bundled_path("manifest.json")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PolicyError.single("model-manifest", f"cannot read model manifest {path}: {exc}",
                                 file=str(path)) from exc


def load_labels(path: Path) -> list[str]:
    """A ``*.labels.json`` file: a JSON list of class names in output-column order."""
    try:
        labels = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise PolicyError.single("model-labels", f"cannot read label file {path}: {exc}", file=str(path)) from exc
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise PolicyError.single("model-labels", f"label file {path} must be a JSON list of strings", file=str(path))
    return labels


@functools.lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a model file, memoised per (path, size, mtime) so cache keys cost one read."""
    st = Path(path).stat()
    return _sha256_cached(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
