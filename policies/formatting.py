"""Figures and labels as people read them: ``$1,234.57``, ``92.6%``, ``1,954 ms``, ``6,000``, ``(default)``.

One home for number formats, so the command line and the studio's metric cards print the same
figure the same way. Machine output (``--json``) never goes through here: it keeps raw numbers.
Every formatter takes None (a metric with no data, e.g. quality without any estimate) as ``n/a``.
"""

from __future__ import annotations

import math
from typing import Callable

Formatter = Callable[[float], str]
MISSING = "n/a"
# Who served a request, where no decision's model did: the default route, the model the request named
# (passthrough: the router evaluated no decision), or the router itself (a plugin answered without
# calling a model). Reports, the CLI, the Sankey and the drill-down.
DEFAULT_LABEL = "(default)"
# The router's own word (SelectPassthrough) and the name of the request's route wherever it shows
# (the `route` column, the CLI's "routes:" line), so the row reads as that route; bracketed like
# "(default)" because it is no decision; one word, so the CLI's aligned table still splits on spaces.
PASSTHROUGH_LABEL = "(passthrough)"
ROUTER_LABEL = "answered by the router"


def _known(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def usd(value: float | None) -> str:
    """Dollars to the cent with thousands separators; under a dollar four decimals, so a cost of a
    fraction of a cent (one request, a small sample) does not read as ``$0.00``."""
    if not _known(value):
        return MISSING
    sign = "-" if value < 0 else ""
    amount = abs(value)
    return f"{sign}${amount:,.2f}" if amount >= 1 or amount == 0 else f"{sign}${amount:.4f}"


def percent(share: float | None, digits: int = 1) -> str:
    """A share in 0..1 as a percentage: ``0.926`` → ``92.6%``."""
    return f"{share:.{digits}%}" if _known(share) else MISSING


def ms(value: float | None) -> str:
    """Milliseconds, whole, with thousands separators: ``1954.3`` → ``1,954 ms``."""
    return f"{value:,.0f} ms" if _known(value) else MISSING


def count(value: float | None) -> str:
    """A count as an integer with thousands separators: ``6000`` → ``6,000``."""
    return f"{int(value):,}" if _known(value) else MISSING


def score(value: float | None, digits: int = 3) -> str:
    """A score or mean quality in 0..1: three decimals are what the data supports."""
    return f"{value:.{digits}f}" if _known(value) else MISSING


def signed(value: float | None, fmt: Formatter) -> str:
    """A change with its sign shown: ``+$0.0044``, ``−251 ms`` (true minus sign); no change has none."""
    if not _known(value):
        return MISSING
    return ("+" if value > 0 else "−" if value < 0 else "") + fmt(abs(value))
