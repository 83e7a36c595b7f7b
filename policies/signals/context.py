"""``context``: the request's token count inside an inclusive band (``min_tokens <= count <= max_tokens``).

Router semantics (``ContextRule``, ``TokenCount.Value`` and ``ContextBounds`` in
``src/semantic-router/pkg/config/signal_config.go``): counts are written as numbers or with a ``K``
(×1,000) or ``M`` (×1,000,000) suffix and truncated to an integer; a missing ``min_tokens`` is 0; a
missing ``max_tokens`` leaves the band open above; a rule with neither is refused, as is a band
whose minimum exceeds its maximum.

Simulation reads the logged (or reader-estimated) prompt token count, so moving a band edge is only
an expression change; a request without a count never fires. The solver sees one integer, the
prompt's token count, shared by every context signal.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

_TOKENS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_token_count(value: str | int | float | None) -> int | None:
    """``"32K"`` → 32000, ``"1.5M"`` → 1500000, ``4096`` → 4096 (truncated, as the router's
    ``TokenCount.Value``); None when unset; ``ValueError`` on anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"token count must not be negative: {value}")
        return int(value)
    match = _TOKENS.match(str(value))
    if not match:
        raise ValueError(f"'{value}' is not a token count (use e.g. 4096, 32K or 1.5M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


class ContextSignal(Signal):
    collection = "context"
    leaf_type = "context"
    summary = "Prompt length band in tokens."
    editor_fields = (
        EditorField("min_tokens", "tokens"),
        EditorField("max_tokens", "tokens"),
    )
    min_tokens: str | int | None = None
    max_tokens: str | int | None = None

    def band(self) -> tuple[int, int | None]:
        """``(low, high)`` inclusive, ``high`` None when open; ``ValueError`` on an unreadable count."""
        return parse_token_count(self.min_tokens) or 0, parse_token_count(self.max_tokens)

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        if self.min_tokens in (None, "") and self.max_tokens in (None, ""):
            yield Finding("token-band", Severity.ERROR, f"context '{self.name}' sets neither min_tokens nor "
                          "max_tokens (the router refuses it)", path=path, suggestion="add min_tokens or max_tokens")
            return
        try:
            low, high = self.band()
        except ValueError as exc:
            yield Finding("token-count", Severity.ERROR, str(exc), path=path)
            return
        if high is not None and low > high:
            yield Finding("token-band", Severity.ERROR, f"context '{self.name}': min_tokens {self.min_tokens} > "
                          f"max_tokens {self.max_tokens}", path=path, suggestion="swap the bounds")

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        tokens = pool.number("tokens", "int", "tokens", "prompt tokens", 1, low=0)
        try:
            low, high = self.band()
        except ValueError:
            return pool.boolean(f"opaque:context:{self.name}", "opaque", f"context {self.name} (unparsable token "
                                "count)", level=3), []
        return pool.interval(tokens, {"gte": low, "lte": high}), []


class ContextExtractor(Extractor):
    leaf_type = "context"
    threshold_fields = frozenset({"min_tokens", "max_tokens", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        return {"tokens": frame["prompt_tokens"].cast(pl.Float64)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        assert isinstance(signal, ContextSignal)
        low, high = signal.band()
        tokens = col("tokens")
        fired = tokens >= low
        if high is not None:
            fired = fired & (tokens <= high)
        return LeafExpr(fired.fill_null(False), None)
