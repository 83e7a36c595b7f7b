"""``context``: the request's token count inside an inclusive band (``min_tokens <= count <= max_tokens``).

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``TokenCount.Value``): a count is trimmed and upper-cased, an ending
  ``K`` multiplies it by 1,000 and ``M`` by 1,000,000, the rest must be a Go decimal number (no
  space before the suffix), not NaN, infinite or negative; the product is truncated to an integer.
* ``config/signal_config.go`` (``ContextRule.Bounds``, ``ContextBounds.Matches``): a missing
  ``min_tokens`` is 0; a missing ``max_tokens`` leaves the band open above; a rule with neither, an
  unreadable count, or a minimum above the maximum is an error.
* ``classification/context_classifier.go`` (``NewContextClassifier``, ``ClassifyWithTokenFloor``): a
  rule whose bounds are an error never matches; every other rule whose band holds the count
  matches (all of them, in config order). No confidence is recorded (``evaluateContextSignal``), so
  context leaves are crisp.

Stand-in, with reason: the router counts tokens itself (a calibrated estimate of the request text,
raised to a floor for tool schemas and images); the studio reads the logged (or reader-estimated)
prompt token count, the number the model actually billed, so moving a band edge is only an
expression change. A request without a count never fires. The solver sees one integer, the prompt's
token count, shared by every context signal; a rule in error is false there too.
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

_GO_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?")  # strconv.ParseFloat, decimal form


def _unset(value: str | int | float | None) -> bool:
    return value is None or not str(value).strip()


def parse_token_count(value: str | int | float | None) -> int | None:
    """``"32K"`` → 32000, ``"1.5M"`` → 1500000, ``4096`` → 4096 (truncated, as the router's
    ``TokenCount.Value``); None when unset; ``ValueError`` on anything else."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a token count (use e.g. 4096, 32K or 1.5M)")
    text = "" if value is None else str(value).strip().upper()
    if not text:
        return None
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    number = text[:-1] if scale > 1 else text
    if not _GO_DECIMAL.fullmatch(number):
        raise ValueError(f"'{value}' is not a token count (use e.g. 4096, 32K or 1.5M)")
    if float(number) < 0:
        raise ValueError(f"token count must not be negative: {value}")
    return int(float(number) * scale)


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

    def valid_band(self) -> tuple[int, int | None] | None:
        """The band, or None when the router's ``Bounds`` is an error (then the rule never matches)."""
        if _unset(self.min_tokens) and _unset(self.max_tokens):
            return None
        try:
            low, high = self.band()
        except ValueError:
            return None
        return None if high is not None and low > high else (low, high)

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        if _unset(self.min_tokens) and _unset(self.max_tokens):
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
        import z3

        pool = solver.pool
        tokens = pool.number("tokens", "int", "tokens", "prompt tokens", 1, low=0)
        band = self.valid_band()
        if band is None:
            return z3.BoolVal(False), []
        low, high = band
        return pool.interval(tokens, {"gte": low, "lte": high}), []


class ContextExtractor(Extractor):
    leaf_type = "context"
    threshold_fields = frozenset({"min_tokens", "max_tokens", "description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        return {"tokens": frame["prompt_tokens"].cast(pl.Float64)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, ContextSignal)
        band = signal.valid_band()
        if band is None:
            return LeafExpr(pl.lit(False), None)
        low, high = band
        tokens = col("tokens")
        fired = tokens >= low
        if high is not None:
            fired = fired & (tokens <= high)
        return LeafExpr(fired.fill_null(False), None)
