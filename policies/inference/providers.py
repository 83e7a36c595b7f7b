"""Pick the onnxruntime execution provider once per process, and build sessions on it.

CUDA is used only when onnxruntime lists it *and* a session really starts on it: the
``onnxruntime-gpu`` wheel lists CUDA even on machines without a GPU or CUDA libraries.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from pathlib import Path

import onnxruntime as ort

from policies.errors import PolicyError
from policies.inference.bundle import PROBE_MODEL, bundled_path

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
_SILENT = 4  # onnxruntime's FATAL-only severity: hides the noisy CUDA probe on CPU machines

ort.set_default_logger_severity(_SILENT)


def session_options(threads: int | None = None) -> ort.SessionOptions:
    """Quiet sessions that fold weight-only int8 DequantizeLinear nodes to fp32 at load time.

    ``threads`` pins onnxruntime's intra-op pool (``None``: its default, one per core).
    """
    opts = ort.SessionOptions()
    opts.log_severity_level = _SILENT
    if threads is not None:
        opts.intra_op_num_threads = threads
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.disable_quant_qdq", "1")
    return opts


def _preload_cuda_libraries() -> None:
    """Let onnxruntime find CUDA/cuDNN installed as pip ``nvidia-*`` packages (not on the loader path).

    ``preload_dlls`` prints advice when it finds nothing; that is noise on CPU machines, so it is muted.
    """
    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            preload()
        except Exception:  # best effort: the session probe below decides whether CUDA works
            pass


def _cuda_works() -> bool:
    """Start a session on CUDA with the smallest bundled model (a classifier head)."""
    if CUDA not in ort.get_available_providers():
        return False
    _preload_cuda_libraries()
    try:
        sess = ort.InferenceSession(str(bundled_path(PROBE_MODEL)), session_options(), providers=[CUDA])
    except Exception:  # onnxruntime raises plain RuntimeError/Fail variants when CUDA libs are absent
        return False
    return CUDA in sess.get_providers()


@functools.lru_cache(maxsize=None)
def active_provider() -> str:
    """``CUDAExecutionProvider`` when a CUDA session really starts, else ``CPUExecutionProvider``.

    ``ROUTING_STUDIO_PROVIDER`` (``cpu`` or ``cuda``) overrides the probe, e.g. for benchmarks.
    """
    forced = os.environ.get("ROUTING_STUDIO_PROVIDER", "").lower()
    if forced == "cpu":
        return CPU
    if forced == "cuda" or not forced:
        if _cuda_works():
            return CUDA
    return CPU


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's share), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def providers_for(provider: str | None = None) -> list[str]:
    """Provider list for a session: the chosen one first, CPU as fallback for unsupported ops."""
    chosen = provider or active_provider()
    return [chosen, CPU] if chosen != CPU else [CPU]


def create_session(path: str | Path, provider: str | None = None, *,
                   threads: int | None = None) -> ort.InferenceSession:
    """Open an ONNX file, turning a missing or unreadable file into a PolicyError naming it."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError.single("model-missing", f"model file not found: {path}", file=str(path),
                                 suggestion="run `python scripts/build_models.py` or fix the path")
    try:
        return ort.InferenceSession(str(path), session_options(threads), providers=providers_for(provider))
    except Exception as exc:  # onnxruntime reports corrupt protobufs as several exception types
        raise PolicyError.single("model-corrupt", f"cannot load ONNX model {path}: {exc}",
                                 file=str(path)) from exc
