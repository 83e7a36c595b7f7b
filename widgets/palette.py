"""One colour per decision, and one per model, in every chart: both Sankeys, the topology and the
cost/quality plot.

Why keyed by name and not by drawing order: each chart draws a different subset in a different order
(a comparison's two sides, the decisions a simulation hit, the policy's full list), and colouring by
order gave one decision a different colour on each side of Compare's Sankey. Here a name's colour
is its preferred slot (a CRC-32 of the name, so it holds across charts, sessions and machines);
where two names of one chart want the same slot, the later name in sorted order takes the next free
one, so no two names of a chart share a colour while the palette lasts. The routes that are not a
decision (default, passthrough) and the router's own answers have fixed greys.
"""

from __future__ import annotations

import zlib
from typing import Iterable, Sequence

from bokeh.palettes import Category20, Dark2

from policies.api import DEFAULT_LABEL, PASSTHROUGH_LABEL, ROUTER_LABEL

# Category20 without its two greys, which are the fixed routes' colours
DECISION_PALETTE: tuple[str, ...] = tuple(c for c in Category20[20] if c not in ("#7f7f7f", "#c7c7c7"))
MODEL_PALETTE: tuple[str, ...] = tuple(Dark2[8])
FIXED: dict[str, str] = {DEFAULT_LABEL: "#8c8c8c", PASSTHROUGH_LABEL: "#c7c7c7", ROUTER_LABEL: "#525252"}
NEUTRAL = "#bdbdbd"  # what is neither a decision nor a model (the Sankey's traffic root, a signal)


def _assign(names: Iterable[str], palette: Sequence[str]) -> dict[str, str]:
    names = set(names)
    out: dict[str, str] = {}
    taken: set[int] = set()
    for name in sorted(names - FIXED.keys()):
        slot = zlib.crc32(name.encode()) % len(palette)
        for step in range(len(palette)):  # the next free slot; all taken: the preferred one again
            if (slot + step) % len(palette) not in taken:
                slot = (slot + step) % len(palette)
                break
        taken.add(slot)
        out[name] = palette[slot]
    return {**out, **{name: FIXED[name] for name in names & FIXED.keys()}}


def decision_colours(names: Iterable[str]) -> dict[str, str]:
    """Colour of each decision label (a decision's name, ``(default)``, ``(passthrough)``)."""
    return _assign(names, DECISION_PALETTE)


def model_colours(names: Iterable[str]) -> dict[str, str]:
    """Colour of each model name (and of the router's own answers)."""
    return _assign(names, MODEL_PALETTE)
