"""Traffic import: logged LLM requests from many tools into normalised Polars tables.

``read_traffic(path)`` detects the format (OpenAI logs, LiteLLM, Langfuse, Helicone, LMSYS-Chat,
Arena preferences, RouterBench, RouteLLM, LLMRouter, vLLM SR Router Replay, plain tables) and
returns a :class:`TrafficSet` with ``requests``, ``candidate_outcomes`` and ``rejects`` (spec:
shared/specs/traffic-formats.md). ``read_sql_traffic`` does the same for a database table.
"""

from .coerce import RowError
from .formats import format_names
from .progress import ImportProgress, ProgressCallback
from .reader import read_traffic
from .sample import sample_traffic
from .schema import CANDIDATES_SCHEMA, PRIOR_SIGNAL_TYPES, REJECTS_SCHEMA, REQUESTS_SCHEMA
from .trafficset import TrafficSet, TrafficSource

__all__ = [
    "CANDIDATES_SCHEMA", "ImportProgress", "PRIOR_SIGNAL_TYPES", "ProgressCallback", "REJECTS_SCHEMA",
    "REQUESTS_SCHEMA", "RowError",
    "TrafficSet", "TrafficSource", "format_names", "read_sql_traffic", "read_traffic", "sample_traffic",
]


def __getattr__(name: str) -> object:
    """``read_sql_traffic`` imports SQLAlchemy (~0.2 s): loaded on first use, so reading a log file never pays."""
    if name == "read_sql_traffic":
        from .sql import read_sql_traffic

        return read_sql_traffic
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
