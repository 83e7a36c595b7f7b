"""The policy: one typed object for a whole vLLM Semantic Router config, whatever layout it came from."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr

from ..errors import Finding, SpecPath
from ..yaml_source import SourceMap
from .base import SpecModel
from .decisions import Decision
from .providers import ProviderModel, Providers
from .recipes import Entrypoint, EntrypointTable, Recipe
from .routing import Profile, Routing

CANONICAL_VERSION = "v0.3"


class Policy(SpecModel):
    version: str | None = None
    listeners: list[dict[str, Any]] | None = None
    providers: Providers | None = None
    routing: Routing | None = None
    entrypoints: list[Entrypoint] | None = None
    recipes: list[Recipe] | None = None
    global_: dict[str, Any] | None = Field(default=None, alias="global")
    evaluation: dict[str, Any] | None = None

    # Where the policy came from; not part of the spec.
    _source_file: str | None = PrivateAttr(default=None)
    _source_map: SourceMap | None = PrivateAttr(default=None)
    _dialect: str = PrivateAttr(default="canonical")
    _import_notes: list[Finding] = PrivateAttr(default_factory=list)
    _path_moves: list[tuple[SpecPath, SpecPath]] = PrivateAttr(default_factory=list)

    # -- provenance -------------------------------------------------------------------------
    @property
    def source_file(self) -> str | None:
        return self._source_file

    @property
    def source_map(self) -> SourceMap | None:
        """The composed source documents (positions, and metadata the model does not keep)."""
        return self._source_map

    @property
    def dialect(self) -> str:
        return self._dialect

    @property
    def import_notes(self) -> list[Finding]:
        """What the importer changed or could not carry (e.g. legacy fields), as findings."""
        return list(self._import_notes)

    def attach_source(self, file: str | None, source_map: SourceMap | None, dialect: str,
                      notes: list[Finding] | None = None,
                      moves: list[tuple[SpecPath, SpecPath]] | None = None) -> "Policy":
        self._source_file = file
        self._source_map = source_map
        self._dialect = dialect
        self._import_notes = list(notes or [])
        self._path_moves = list(moves or [])
        return self

    def position(self, path: SpecPath) -> tuple[int | None, int | None]:
        """Line/column in the source file of a canonical spec path (nearest ancestor if needed)."""
        path = tuple(path)
        for canonical_prefix, source_prefix in self._path_moves:
            if path[: len(canonical_prefix)] == canonical_prefix:
                path = source_prefix + path[len(canonical_prefix):]
                break
        return self._source_map.position(path) if self._source_map else (None, None)

    def locate(self, finding: Finding) -> Finding:
        """Fill a finding's file/line/column from its path."""
        if finding.file is None:
            finding.file = self._source_file
        if finding.line is None:
            finding.line, finding.column = self.position(finding.path)
        return finding

    # -- navigation -----------------------------------------------------------------------
    def profiles(self) -> list[Profile]:
        """The top-level routing plus each recipe, analysed separately (they share providers)."""
        out = [Profile("", self.routing or Routing(), ("routing",))]
        for i, recipe in enumerate(self.recipes or []):
            out.append(Profile(recipe.name, recipe.routing or Routing(), ("recipes", i, "routing")))
        return out

    def entrypoints_table(self) -> EntrypointTable:
        """How a request's model name picks its routing profile (aliases, entrypoints, passthrough)."""
        return EntrypointTable(self)

    @property
    def decisions(self) -> list[Decision]:
        return self.routing.all_decisions() if self.routing else []

    @property
    def default_model(self) -> str | None:
        return self.providers.default_model if self.providers else None

    def provider_model(self, name: str) -> ProviderModel | None:
        return self.providers.model(name) if self.providers else None

    def model_names(self) -> list[str]:
        return [m.name for m in self.providers.models] if self.providers else []

    def copy_policy(self) -> "Policy":
        """A deep, independent copy that keeps provenance (used for repairs and what-ifs)."""
        clone = Policy.from_spec(self.to_spec())
        clone.attach_source(self._source_file, self._source_map, self._dialect, self._import_notes, self._path_moves)
        return clone

    def same_as(self, other: "Policy") -> bool:
        """Model equality: same spec data, key order aside."""
        return self.to_spec() == other.to_spec()
