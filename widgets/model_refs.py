"""One editable row per ``modelRefs`` entry of a decision: reasoning, effort, mode, LoRA, weight.

Reasoning is set per model (a decision may think with one model and not with another). The effort
and mode choices are the model's reasoning family's levels and modes, the same family the
validator checks against, so the offered values are the ones vllm-sr accepts; a value already in
the file stays selectable even when it is not one of them, and the validator reports it. Each
input writes only its own key (``None`` removes it), so keys the row does not show are kept.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import panel as pn

from policies.api import Policy, reasoning_family_of

# The family lookup lives with the reasoning-control rule; reuse it rather than a second copy.

RefUpdate = Callable[..., None]  # called as update(index, key=value, ...); value None removes the key


def reasoning_choices(policy: Policy, model: str) -> tuple[list[str], list[str]]:
    """(effort levels, reasoning modes) the model's reasoning family offers; empty when it has none."""
    family = reasoning_family_of(policy, model) or {}
    return [str(v) for v in family.get("levels") or []], [str(v) for v in family.get("modes") or []]


def model_ref_row(index: int, ref: dict[str, Any], policy: Policy, update: RefUpdate) -> pn.Row:
    """Inputs for ``modelRefs[index]``; each change calls ``update(index, key=value)``."""
    levels, modes = reasoning_choices(policy, str(ref.get("model") or ""))
    effort, mode = str(ref.get("reasoning_effort") or ""), str(ref.get("reasoning_mode") or "")
    reasoning = pn.widgets.Checkbox(label="reasoning", value=ref.get("use_reasoning") is True, width=90,
                                    css_classes=["rb-ref-reasoning"])
    effort_select = pn.widgets.Select(label="effort", options=_choices(levels, effort), value=effort, width=110,
                                      disabled=not levels and not effort, css_classes=["rb-ref-effort"])
    mode_select = pn.widgets.Select(label="mode", options=_choices(modes, mode), value=mode, width=110,
                                    disabled=not modes and not mode, css_classes=["rb-ref-mode"])
    lora = pn.widgets.TextInput(label="LoRA", value=str(ref.get("lora_name") or ""), width=120)
    weight = pn.widgets.FloatInput(label="weight", value=ref.get("weight"), width=90, step=0.1)
    # use_reasoning is always written: the Go validator rejects a ref without it (spec §6).
    reasoning.param.watch(lambda e: update(index, use_reasoning=bool(e.new)), "value")
    effort_select.param.watch(lambda e: update(index, reasoning_effort=e.new or None), "value")
    mode_select.param.watch(lambda e: update(index, reasoning_mode=e.new or None), "value")
    lora.param.watch(lambda e: update(index, lora_name=e.new.strip() or None), "value")
    weight.param.watch(lambda e: update(index, weight=e.new), "value")
    label = pn.pane.HTML(f"<code>{html.escape(str(ref.get('model') or ''))}</code>", width=150)
    return pn.Row(label, reasoning, effort_select, mode_select, lora, weight, css_classes=["rb-model-ref"])


def _choices(offered: list[str], current: str) -> list[str]:
    return list(dict.fromkeys(["", *offered, *([current] if current else [])]))
