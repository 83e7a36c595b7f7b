"""Where the router's own recipes are (``../shared`` beside the clone, as in CI)."""

from __future__ import annotations

from ..conftest import ROOT

RECIPES = ROOT.parent / "shared" / "data" / "vllm-sr-upstream" / "recipes"
