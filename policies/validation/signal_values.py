"""Value checks on signals (each kind's own ``Signal.check``) and on projections."""

from __future__ import annotations

from typing import Iterator

from ..errors import Finding
from ..model import Signal
from .base import Context, did_you_mean, error, profile_check
from .contract import PARTITION_SEMANTICS


@profile_check
def signal_values(ctx: Context) -> Iterator[Finding]:
    for collection, kind in Signal.collections().items():
        signals = ctx.profile.routing.signals
        for i, signal in enumerate((getattr(signals, collection) or []) if signals else []):
            path = ctx.path("signals", collection, i)
            yield from signal.check(path)


@profile_check
def projections(ctx: Context) -> Iterator[Finding]:
    routing = ctx.profile.routing
    if routing.projections is None:
        return
    by_name: dict[str, list[str]] = {}
    for collection, signal in routing.all_signals():
        by_name.setdefault(signal.name, []).append(collection)
    for i, part in enumerate(routing.projections.partitions or []):
        path = ctx.path("projections", "partitions", i)
        if part.semantics is not None and part.semantics not in PARTITION_SEMANTICS:
            yield error("partition-semantics", f"partition '{part.name}' semantics must be one of "
                        f"{', '.join(PARTITION_SEMANTICS)}", path + ("semantics",))
        if part.temperature is not None and part.temperature <= 0:
            yield error("partition-temperature", "temperature must be > 0", path + ("temperature",))
        kinds = set()
        for j, member in enumerate(part.members or []):
            found = [c for c in by_name.get(member, []) if c in ("domains", "embeddings")]
            if not found:
                yield error("dangling-reference", f"partition '{part.name}' member '{member}' is not a declared domain "
                            "or embedding signal", path + ("members", j), did_you_mean(member, by_name))
            kinds.update(found)
        if len(kinds) > 1:
            yield error("partition-types", f"partition '{part.name}' mixes domain and embedding members", path)
        if not part.default:
            yield error("partition-default", f"partition '{part.name}' needs a default member", path)
        elif part.members and part.default not in part.members:
            yield error("partition-default", f"partition default '{part.default}' is not one of its members",
                        path + ("default",))
    scores = {s.name for s in routing.projections.scores or []}
    for i, mapping in enumerate(routing.projections.mappings or []):
        if mapping.source not in scores:
            yield error("dangling-reference", f"mapping '{mapping.name}' source '{mapping.source}' is not a declared "
                        "score", ctx.path("projections", "mappings", i, "source"), did_you_mean(str(mapping.source), scores))
