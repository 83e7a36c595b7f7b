"""Shared fuzz machinery: the CI hypothesis settings, the input corpus, counters and the outcome check.

Every fuzz target accepts exactly two outcomes: a valid result or :class:`PolicyError`. Anything
else (another exception, a hang, a changed value after a round trip) fails the test with the
shrunk input. ``ROUTING_STUDIO_FUZZ_SCALE`` multiplies the example counts for a longer local run.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import HealthCheck, settings

from policies import Finding, Policy, PolicyError
from policies.export import export_documents, export_text
from policies.loader import loads_policy
from policies.validation import validate_policy
from policies.yaml_source import load_documents

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIRS = (ROOT / "tests" / "fixtures" / "configs", ROOT / "sample_data" / "policies")
SCALE = float(os.environ.get("ROUTING_STUDIO_FUZZ_SCALE", "1"))
HANG_SECONDS = 20.0  # one input; the slowest real fixture loads, validates and exports in ~0.1 s

T = TypeVar("T")

# Inputs tried, per target and per test; printed by tests/fuzz/conftest.py at the end of the run.
COUNTS: Counter[str] = Counter()
PER_TEST: dict[str, tuple[str, int, float, float]] = {}  # test -> (target, inputs, wall s, CPU s)


def examples(n: int) -> int:
    """``n`` scaled by ``ROUTING_STUDIO_FUZZ_SCALE`` (never below 1)."""
    return max(1, int(n * SCALE))


def fuzz_settings(max_examples: int) -> settings:
    """Fixed, reproducible CI profile: same inputs every run, no deadline, no example database."""
    return settings(max_examples=examples(max_examples), derandomize=True, deadline=None, database=None,
                    print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


def tried(target: str) -> None:
    """Count one generated input for ``target``."""
    COUNTS[target] += 1


@contextmanager
def counting(test: str, target: str, minimum: int) -> Iterator[None]:
    """Record how many inputs ``test`` fed to ``target``; fail if hypothesis ran fewer than ``minimum``."""
    before, started, cpu = COUNTS[target], time.perf_counter(), time.process_time()
    yield
    done = COUNTS[target] - before
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    PER_TEST[test] = (target, done, wall, cpu)
    print(f"[fuzz] {test}: {done} inputs to {target} in {wall:.1f}s wall, {cpu:.1f}s CPU")
    floor = min(minimum, examples(minimum))
    assert done >= floor, f"{test} tried only {done} inputs (< {floor}); the strategy is too narrow"


class Hang(Exception):
    """An input took longer than :data:`HANG_SECONDS`: a hang is a bug, not a refusal."""


@contextmanager
def no_hang(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Turn a runaway input into a :class:`Hang` failure (SIGALRM; main thread only)."""

    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"input still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused_or(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``fn(*args)``, or None when it refuses with PolicyError; any other exception propagates."""
    try:
        return fn(*args, **kwargs)
    except PolicyError as exc:
        assert exc.findings and all(isinstance(f, Finding) for f in exc.findings), "PolicyError without findings"
        assert str(exc), "PolicyError with an empty message"
        return None


def signature(exc: BaseException) -> str:
    """``Type@file:function`` of the innermost engine frame: one bug, however many inputs hit it."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/policies/" in f.filename]
    where = f"{Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].name}" if frames else "?"
    return f"{type(exc).__name__}@{where}"


# Engine bugs the fuzzers found and that are still open, each pinned by an xfail(strict=True) test in
# test_found_bugs.py: signature -> test. While one is open, inputs that hit it are counted instead of
# failing every run. Empty: every bug found so far is fixed and kept as a regression test there.
KNOWN_BUGS: dict[str, str] = {}
KNOWN_HITS: Counter[str] = Counter()
FOUND: dict[str, str] = {}  # collect mode: signature -> shortest input seen
COLLECT = os.environ.get("ROUTING_STUDIO_FUZZ_COLLECT")


@contextmanager
def known_bugs_tolerated(shown: Any) -> Iterator[None]:
    """Let open, pinned bugs pass (counted); in collect mode, record any new crash instead of failing."""
    try:
        yield
    except (AssertionError, Hang, PolicyError):
        raise
    except Exception as exc:
        sig = signature(exc)
        if sig in KNOWN_BUGS:
            KNOWN_HITS[sig] += 1
            return
        if COLLECT:
            text = repr(shown)
            if sig not in FOUND or len(text) < len(FOUND[sig]):
                FOUND[sig] = text
            return
        raise


def check_config(raw: str | bytes) -> Policy | None:
    """The importer contract on one input: load → validate → export → reload, PolicyError the only refusal.

    A policy that loads must validate without raising; its export either refuses with PolicyError or
    reloads to the same spec (an export that cannot be read back is data corruption).
    """
    with no_hang(), known_bugs_tolerated(raw):
        return _check_config(raw)
    return None


def _check_config(raw: str | bytes) -> Policy | None:
    policy = refused_or(loads_policy, raw, "fuzz.yaml")
    if policy is None:
        return None
    findings = validate_policy(policy)
    assert all(isinstance(f, Finding) for f in findings)
    exported = refused_or(export_documents, policy)
    if exported is None:
        return policy
    docs, _ = exported
    text = export_text(policy)[0]
    assert [d.data for d in load_documents(text)] == docs, "exported YAML reads back as different data"
    again = loads_policy(text, "exported.yaml")  # must not refuse: we wrote it ourselves
    assert export_documents(again)[0] == docs, "export is not a fixed point: exporting the reload changed it"
    return policy


# -- corpus ------------------------------------------------------------------------------------
def corpus_files() -> list[Path]:
    """The real configs: every layout fixture and every sample policy."""
    return sorted(p for d in CORPUS_DIRS for p in d.glob("*.yaml"))


CORPUS: dict[str, bytes] = {p.name: p.read_bytes() for p in corpus_files()}


def _keys(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(str(key))
            _keys(value, out)
    elif isinstance(node, list):
        for item in node:
            _keys(item, out)


def field_names() -> list[str]:
    """Every mapping key the real configs use (canonical, repository, legacy and Kubernetes layouts)."""
    names: set[str] = set()
    for raw in CORPUS.values():
        for doc in yaml.safe_load_all(raw):
            _keys(doc, names)
    return sorted(names)


FIELD_NAMES = field_names()

# Values a YAML reader or a type coercion is likely to mishandle.
HOSTILE_STRINGS = (
    "a: b\nc: d", "- x", "&anchor", "*anchor", "!!python/object:os.system", "!!binary aGk=", "{x: 1}", "[1, 2]",
    " leading", "trailing ", "yes", "no", "on", "off", "y", "n", "~", "null", "true", "False", "0x10", "0o10",
    "010", "1e3", "1_000", "+1", "-.inf", ".nan", "2026-11-01", "12:30:00", "1:20", "#", "a #b", "? x", "<<",
    "=", "'", '"', "\\", "%YAML 1.2", "---", "...", "|", ">", "@x", "`x`", "\u2028", "a\u2029b", "a\x85b",
    "\ufeffx", "\t", "x\r\ny", "\x00", "\x1b[31m", "", " ", "ümlaut", "💥", "32K", "128Ki", "-1", "1e309",
)


def mapping_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside nested dicts/lists (used for structure-aware mutation)."""
    out: list[tuple] = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(mapping_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(mapping_paths(value, prefix + (i,)))
    return out
