"""Providers: the models a policy can route to, their pricing, reasoning and backends."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import SpecModel


class Pricing(SpecModel):
    """Prices per million tokens (the canonical layout); the CRD form stores them per token."""

    currency: str | None = None
    prompt_per_1m: float | None = None
    completion_per_1m: float | None = None
    cached_input_per_1m: float | None = None
    cache_write_per_1m: float | None = None

    def request_cost(self, prompt_tokens: float, completion_tokens: float, cached_tokens: float = 0.0) -> float:
        """USD for one request: uncached prompt + cached prompt + completion."""
        prompt = self.prompt_per_1m or 0.0
        cached = self.cached_input_per_1m if self.cached_input_per_1m is not None else prompt
        return ((prompt_tokens - cached_tokens) * prompt + cached_tokens * cached
                + completion_tokens * (self.completion_per_1m or 0.0)) / 1e6


class BackendRef(SpecModel):
    name: str | None = None
    endpoint: str | None = None
    base_url: str | None = None
    protocol: str | None = None
    weight: int | None = None
    provider: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None


class ProviderModel(SpecModel):
    name: str
    catalog: str | None = None
    provider_model_id: str | None = None
    api_format: str | None = None
    reasoning: dict[str, Any] | None = None
    backend_refs: list[BackendRef] | None = None
    pricing: Pricing | None = None
    reliability: dict[str, Any] | None = None


class ProviderDefaults(SpecModel):
    model: str | None = None
    reasoning_effort: str | None = None


class Providers(SpecModel):
    defaults: ProviderDefaults | None = None
    models: list[ProviderModel] = Field(default_factory=list)

    def model(self, name: str) -> ProviderModel | None:
        return next((m for m in self.models if m.name == name), None)

    @property
    def default_model(self) -> str | None:
        return self.defaults.model if self.defaults else None
