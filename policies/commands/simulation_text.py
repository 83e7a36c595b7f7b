"""The people's form of ``simulate`` and ``diff``: summaries and tables as lines of text.

Pure functions over the engine's ``summary()`` dicts and tables (no simulator imports), so the
figures' formats are tested without simulating; ``--json`` bypasses this module altogether.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..formatting import PASSTHROUGH_LABEL, ROUTER_LABEL, Formatter, count, ms, percent, score, signed, usd

# diff's metrics (policies.simulation.compare.METRICS): label and format of each
METRIC_FORMATS: dict[str, tuple[str, Formatter]] = {
    "cost_usd": ("cost", usd), "quality": ("quality", score), "latency_ms": ("latency", ms)}


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """Headline metrics of one simulation, then what limits them (unavailable signals, approximations)."""
    quality = f"mean quality {score(summary['mean_quality'])}"
    low, high = summary["quality_ci95"]
    if summary["mean_quality"] is not None:
        quality += f" (95% CI {score(low)}–{score(high)}, coverage {percent(summary['quality_coverage'], 0)})"
    strongest = summary["strongest_model"]
    savings = f"savings vs {strongest} {percent(summary['savings_vs_strongest'])}" if strongest else \
        "savings vs strongest model n/a"
    lines = [f"requests {count(summary['requests'])}  total cost {usd(summary['total_cost_usd'])}  "
             f"per 1k requests {usd(summary['cost_per_1k_requests_usd'])}  "
             f"p50 {ms(summary['p50_latency_ms'])}  p95 {ms(summary['p95_latency_ms'])}",
             f"{quality}  default route {percent(summary['default_route_share'])}  {savings}"]
    if summary.get("passthrough_share"):
        lines.append(f"{PASSTHROUGH_LABEL} {percent(summary['passthrough_share'])}: named a configured model, "
                     "passed through to it with no decision evaluated")
    if summary.get("answered_by"):
        plugins = ", ".join(f"{plugin} {percent(share)}" for plugin, share in summary["answered_by"].items())
        lines.append(f"{ROUTER_LABEL} {percent(summary['answered_by_router_share'])} ({plugins}): "
                     "no model cost, latency or quality")
    for name, info in summary["unavailable_signals"].items():
        lines.append(f"unavailable: {name}: {info['reason']} (decisions: {', '.join(info['decisions']) or '-'})")
    for name, info in summary["replayed_signals"].items():
        lines.append(f"replayed from the log: {name}: production's verdicts ({info['reason']}; "
                     f"decisions: {', '.join(info['decisions']) or '-'})")
    for name, note in summary["approximated_selection"].items():
        lines.append(f"approximated: {name}: {note}")
    return lines + route_lines(summary)


def route_lines(summary: Mapping[str, Any]) -> list[str]:
    """How requests reached a recipe (``route_share``, ``recipe_share``; :mod:`policies.simulation.entrypoints`),
    shown when not every request was simply routed by an auto alias through the one default recipe."""
    routes, recipes = summary.get("route_share") or {}, summary.get("recipe_share") or {}
    if set(routes) <= {"auto"} and set(recipes) <= {"default"}:
        return []
    lines = ["routes: " + ", ".join(f"{route} {percent(share)}" for route, share in routes.items())
             + "  recipes: " + ", ".join(f"{recipe} {percent(share)}" for recipe, share in recipes.items())]
    if summary.get("unresolved_models"):
        names = ", ".join(f"{name} ({count(n)})" for name, n in summary["unresolved_models"].items())
        lines.append(f"unresolved: model names no alias, entrypoint or configured model knows, simulated "
                     f"through the default recipe as if sent to an auto alias: {names}")
    return lines


def decision_lines(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The per-decision table (``SimulationResult.per_decision()`` rows) with aligned columns, each row
    the router answers requests of noting how many."""
    rows = list(rows)
    cells = [(str(r["decision"]), count(r["hits"]), percent(r["hit_rate"]), usd(r["total_cost"]),
              ms(r["p95_latency_ms"]), score(r["mean_quality"])) for r in rows]
    header = ("decision", "hits", "share", "cost", "p95", "quality")
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    notes = [""] + [f"  ({count(r['answered_by_router'])} {ROUTER_LABEL})" if r.get("answered_by_router") else ""
                    for r in rows]
    return ["  " + row[0].ljust(widths[0]) + "".join("  " + cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))
            + note for row, note in zip([header, *cells], notes)]


def comparison_lines(summary: Mapping[str, Any], transitions: Iterable[Mapping[str, Any]]) -> list[str]:
    """Changed requests, each metric's A → B with its paired 95 % interval, then decision transitions."""
    lines = [f"{count(summary['changed'])} of {count(summary['requests'])} requests change decision or model"]
    for metric, d in summary["deltas"].items():
        label, fmt = METRIC_FORMATS[metric]
        low, high = d["ci95"]
        lines.append(f"  {d['statistic']} {label}: {fmt(d['a'])} → {fmt(d['b'])} "
                     f"(Δ {signed(d['delta'], fmt)}, 95% CI {signed(low, fmt)} to {signed(high, fmt)})")
    lines.append("transitions (decision A → decision B: requests):")
    lines.extend(f"  {row['decision_a']} → {row['decision_b']}: {count(row['requests'])}" for row in transitions)
    return lines
