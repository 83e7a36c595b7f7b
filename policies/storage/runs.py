"""Traffic sets and the simulation runs replayed over them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .db import storage_error
from .records import SimulationRun, SimulationRunInfo, TrafficSetInfo
from .schema import simulation_runs, traffic_sets


def register_traffic_set(conn: Connection, name: str, source: str, format: str, row_count: int,
                         sha256: str) -> TrafficSetInfo:
    """Register a traffic file by name; re-registering the same content returns the existing entry."""
    existing = conn.execute(sa.select(traffic_sets).where(traffic_sets.c.name == name)).first()
    if existing is not None:
        if existing.sha256 != sha256:
            raise storage_error(
                "storage.conflict",
                f"traffic set {name!r} is already registered with different content (sha256 {existing.sha256})",
                suggestion="register the new file under a new name")
        return _traffic(existing)
    values = dict(name=name, source=source, format=format, row_count=row_count, sha256=sha256,
                  created_at=datetime.now(timezone.utc))
    new_id = conn.execute(traffic_sets.insert().values(**values).returning(traffic_sets.c.id)).scalar_one()
    return TrafficSetInfo(id=new_id, **values)


def list_traffic_sets(conn: Connection) -> list[TrafficSetInfo]:
    """Every registered traffic set, by name."""
    return [_traffic(r) for r in conn.execute(sa.select(traffic_sets).order_by(traffic_sets.c.name))]


def save_run(conn: Connection, policy_name: str, version: int | None, traffic_set_id: int | None,
             summary: dict[str, Any], decisions: list[dict[str, Any]] | None) -> SimulationRunInfo:
    """Store one simulation result (and optionally its per-decision rows)."""
    if traffic_set_id is not None and conn.execute(
            sa.select(traffic_sets.c.id).where(traffic_sets.c.id == traffic_set_id)).first() is None:
        raise storage_error("storage.not_found", f"no traffic set with id {traffic_set_id}")
    _check_json(summary, "summary")
    _check_json(decisions, "decisions")
    now = datetime.now(timezone.utc)
    run_id = conn.execute(simulation_runs.insert().values(
        policy_name=policy_name, version=version, traffic_set_id=traffic_set_id, created_at=now,
        summary=summary, decisions=decisions,
    ).returning(simulation_runs.c.id)).scalar_one()
    return SimulationRunInfo(run_id, policy_name, version, traffic_set_id, now, summary, decisions is not None)


def list_runs(conn: Connection, policy_name: str) -> list[SimulationRunInfo]:
    """Runs of one policy, oldest first, without their (possibly large) decision rows."""
    has_decisions = simulation_runs.c.decisions.is_not(None)
    rows = conn.execute(
        sa.select(*_info_columns(), has_decisions.label("has_decisions"))
        .where(simulation_runs.c.policy_name == policy_name).order_by(simulation_runs.c.id))
    return [SimulationRunInfo(*_info_values(r), has_decisions=bool(r.has_decisions)) for r in rows]


def get_run(conn: Connection, run_id: int) -> SimulationRun:
    """One run with its decision rows; PolicyError if there is no such run."""
    row = conn.execute(sa.select(*_info_columns(), simulation_runs.c.decisions)
                       .where(simulation_runs.c.id == run_id)).first()
    if row is None:
        raise storage_error("storage.not_found", f"no simulation run with id {run_id}")
    return SimulationRun(*_info_values(row), has_decisions=row.decisions is not None, decisions=row.decisions)


def _check_json(value: Any, what: str) -> None:
    # Checked here because drivers differ: SQLite would store NaN, PostgreSQL rejects it.
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise storage_error("storage.bad_value", f"simulation {what} is not plain JSON: {err}") from err


def _info_columns() -> tuple[sa.Column[Any], ...]:
    c = simulation_runs.c
    return (c.id, c.policy_name, c.version, c.traffic_set_id, c.created_at, c.summary)


def _info_values(row: Row) -> tuple[Any, ...]:
    return (row.id, row.policy_name, row.version, row.traffic_set_id, row.created_at, row.summary)


def _traffic(row: Row) -> TrafficSetInfo:
    return TrafficSetInfo(row.id, row.name, row.source, row.format, row.row_count, row.sha256, row.created_at)
