"""``routing-studio simulate | diff | explain``: route logged traffic through policies, offline."""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

import click

from ..atomic import atomic_write_bytes
from ..errors import PolicyError
from ..loader import load_policy
from . import main
from .model_options import model_options
from .output import EXIT_OK, echo_lines, emit_json, fail
from .simulation_text import comparison_lines, decision_lines, summary_lines

if TYPE_CHECKING:  # the simulator (polars, numpy, onnxruntime) loads only when a command runs
    from ..simulation import Simulator
    from ..simulation.neural import NeuralContext

POLICY = click.Path(exists=True, dir_okay=False)


@contextmanager
def _progress(label: str) -> Iterator[NeuralContext]:
    """A neural context whose encoder batches drive a progress bar on stderr (long runs only)."""
    from ..simulation.neural import NeuralContext

    state: dict[str, Any] = {}

    def report(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
            state["done"] = 0
        state["bar"].update(done - state["done"])
        state["done"] = done
        if done >= total:
            state.pop("bar").__exit__(None, None, None)

    try:
        yield NeuralContext(progress=report)
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


def _simulator(traffic: str, context: NeuralContext | None, seed: int, mode: str) -> Simulator:
    from ..simulation import Simulator
    from ..traffic import read_traffic

    return Simulator(read_traffic(traffic), context=context, seed=seed, mode=mode)


@main.command()
@model_options
@click.argument("policy", type=POLICY)
@click.option("--traffic", "traffic", required=True, multiple=True, metavar="PATH",
              help="Traffic log (any format read_traffic detects). With --engine ray: repeatable; JSONL or "
                   "Parquet files, folders, globs or pyarrow URLs (s3://...).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary and per-decision table.")
@click.option("--out", type=click.Path(), help="Write per-request results to this Parquet file "
              "(--engine ray: a folder, or URL, of Parquet parts in traffic order).")
@click.option("--seed", default=0, show_default=True, help="Seed of the latency residual draws.")
@click.option("--mode", type=click.Choice(["current", "aug2026"]), default="current", show_default=True,
              help="Router ranking to simulate.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this process. ray: a Ray cluster, same answers (pip install 'routing-studio[ray]').")
@click.option("--address", help="--engine ray: the cluster to join (auto, ray://host:10001); "
              "default: a local Ray instance for this run.")
@click.option("--workers", default=2, show_default=True, help="--engine ray: simulation workers (1 CPU each).")
def simulate(policy: str, traffic: tuple[str, ...], as_json: bool, out: str | None, seed: int, mode: str,
             engine: str, address: str | None, workers: int) -> None:
    """Route every request of a traffic log through POLICY and report cost, latency and quality."""
    if engine == "ray":
        _simulate_on_ray(policy, traffic, as_json, out, seed, mode, address, workers)
    ctx = click.get_current_context()
    option = {p.name: p for p in ctx.command.params}
    if len(traffic) != 1:
        raise click.UsageError("the local engine reads one --traffic file (--engine ray reads several)")
    file = click.Path(exists=True, dir_okay=False).convert(traffic[0], option["traffic"], ctx)
    if out:  # one Parquet file here (a folder of parts only with --engine ray)
        click.Path(dir_okay=False).convert(out, option["out"], ctx)
    try:
        loaded = load_policy(policy)
        with _progress("encoding prompts") as context:
            result = _simulator(file, context, seed, mode).simulate(loaded)
    except PolicyError as exc:
        fail(exc, as_json)
    if out:
        buffer = io.BytesIO()
        result.outputs().write_parquet(buffer)
        atomic_write_bytes(out, buffer.getvalue())
    summary = result.summary()
    if as_json:
        emit_json({"summary": summary, "per_decision": result.per_decision().to_dicts()})
    else:
        echo_lines(summary_lines(summary) + decision_lines(result.per_decision().iter_rows(named=True)))
    sys.exit(EXIT_OK)


def _simulate_on_ray(policy: str, traffic: tuple[str, ...], as_json: bool, out: str | None, seed: int, mode: str,
                     address: str | None, workers: int) -> None:
    """``simulate --engine ray``: the same report, merged from the cluster's blocks (exits)."""
    try:
        from ..simulation.distributed.ray_engine import simulate_on_ray

        run = simulate_on_ray(load_policy(policy), list(traffic), address=address, workers=workers, out=out,
                              seed=seed, mode=mode)
    except PolicyError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({"summary": run.summary, "per_decision": run.per_decision.to_dicts(),
                   "cluster": {"blocks": run.blocks, "workers": run.workers, "rejected": run.rejected,
                               "outputs": out, "scores": run.scores_root}})
    else:
        echo_lines(summary_lines(run.summary) + decision_lines(run.per_decision.iter_rows(named=True)))
        click.echo(f"ray: {run.blocks} blocks on {run.workers} workers; scores under {run.scores_root}"
                   + (f"; per-request rows in {out}" if out else ""))
    sys.exit(EXIT_OK)


@main.command()
@model_options
@click.argument("policy_a", type=POLICY)
@click.argument("policy_b", type=POLICY)
@click.option("--traffic", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option("--seed", default=0, show_default=True)
def diff(policy_a: str, policy_b: str, traffic: str, as_json: bool, seed: int) -> None:
    """Compare two policies on the same traffic: transitions and metric deltas with 95 % intervals."""
    from ..simulation.compare import compare

    try:
        a, b = load_policy(policy_a), load_policy(policy_b)
        with _progress("encoding prompts") as context:
            simulator = _simulator(traffic, context, seed, "current")
            comparison = compare(simulator.simulate(a), simulator.simulate(b), seed=seed)
    except PolicyError as exc:
        fail(exc, as_json)
    if as_json:
        emit_json({**comparison.summary(), "transitions": comparison.transitions().to_dicts()})
    else:
        echo_lines(comparison_lines(comparison.summary(), comparison.transitions().iter_rows(named=True)))
    sys.exit(EXIT_OK)


@main.command(name="explain")
@model_options
@click.argument("policy", type=POLICY)
@click.option("--text", help="A prompt to route.")
@click.option("--request", "request_id", help="A request id from --traffic.")
@click.option("--traffic", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def explain_command(policy: str, text: str | None, request_id: str | None, traffic: str | None, as_json: bool) -> None:
    """Explain one request: signal values, rule trees, ranking, and the smallest flipping threshold."""
    if (text is None) == (request_id is None) or (request_id is not None and traffic is None):
        raise click.UsageError("give either --text, or --request with --traffic")
    from ..simulation.explain import explain, explain_text

    try:
        loaded = load_policy(policy)
        if text is not None:
            result = explain_text(loaded, text)
        else:
            result = explain(_simulator(traffic, None, 0, "current"), loaded, request_id)
    except PolicyError as exc:
        fail(exc, as_json)
    except KeyError as exc:
        raise click.BadParameter(str(exc), param_hint="--request") from None
    if as_json:
        emit_json({"request_id": result.request_id, "decision": result.decision, "model": result.model,
                   "decided_by": result.route.decided_by, "signals": result.signals,
                   "ranking": [c.decision.name for c in result.route.ranked],
                   "flip": result.flip.__dict__ if result.flip else None, "unavailable": result.notes})
    else:
        click.echo(result.text())
    sys.exit(EXIT_OK)
