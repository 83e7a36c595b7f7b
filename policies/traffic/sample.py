"""The embedded sample traffic (sample_data/traffic/, built by scripts/build_sample_traffic.py)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sample_data import traffic_dir

from ..errors import PolicyError
from .reader import read_traffic
from .trafficset import TrafficSet

SAMPLE_NAMES = ("sample_requests.jsonl.gz", "sample_requests.jsonl")


def sample_path() -> Path:
    """Where the sample file is (gzip when the build made it larger than 10 MB)."""
    folder = traffic_dir()
    for name in SAMPLE_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise PolicyError.single("traffic.sample_missing", "the embedded sample traffic file is missing",
                             file=str(folder / SAMPLE_NAMES[0]),
                             suggestion="run python scripts/build_sample_traffic.py")


@lru_cache(maxsize=1)
def _load() -> TrafficSet:
    return read_traffic(sample_path(), format="openai")


def sample_traffic() -> TrafficSet:
    """The sample as a TrafficSet (parsed once per process; each call gets its own frame handles)."""
    loaded = _load()
    return TrafficSet(loaded.requests.clone(), loaded.candidate_outcomes.clone(), loaded.rejects.clone(),
                      loaded.source)
