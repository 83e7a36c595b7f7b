"""``authz`` (``role_bindings``): whether the caller is one of a role's subjects (users or groups).

Identity comes from the traffic row the way the router reads the ``x-authz-user-id`` and
``x-authz-user-groups`` headers (``src/semantic-router/pkg/classification/authz_classifier.go``):
the user is ``user_id``; groups are the ``groups`` (or ``user_groups``) list in the request
``metadata`` JSON. The solver sees one flag per binding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


def _json_list(metadata: "pl.Series", key: str) -> "pl.Series":
    import polars as pl

    raw = metadata.str.json_path_match(f"$.{key}")
    if raw.drop_nulls().str.starts_with("[").all():
        return raw.str.json_decode(pl.List(pl.String))
    return raw.str.split(",").list.eval(pl.element().str.strip_chars())


class AuthzSignal(Signal):
    collection = "role_bindings"
    leaf_type = "authz"
    summary = "Role bindings: who the caller is."
    editor_fields = (
        EditorField("role", "text"),
        EditorField("subjects", "yaml"),
    )
    role: str | None = None
    subjects: list[dict[str, Any]] | None = None

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        pool = solver.pool
        return pool.boolean(f"authz:{self.name}", "flag", f"authz {self.name}"), []


class AuthzExtractor(Extractor):
    leaf_type = "authz"
    threshold_fields = frozenset({"description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        assert isinstance(signal, AuthzSignal)
        meta = frame["metadata"]
        groups = _json_list(meta, "groups")
        groups = pl.DataFrame({"g": groups, "u": _json_list(meta, "user_groups")}).select(
            pl.coalesce("g", "u"))["g"]
        users = {str(s.get("name")) for s in signal.subjects or [] if str(s.get("kind", "")).lower() == "user"}
        wanted = {str(s.get("name")) for s in signal.subjects or [] if str(s.get("kind", "")).lower() == "group"}
        df = pl.DataFrame({"user": frame["user_id"], "groups": groups})
        hit = df.select(
            (pl.col("user").is_in(list(users)).fill_null(False)
             | pl.col("groups").list.eval(pl.element().is_in(list(wanted))).list.any().fill_null(False))
            .cast(pl.Float64).alias("m"))["m"]
        return {"match": hit}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("match") > 0.5, None)
