"""Signal editors, one module per engine leaf type; importing this package registers them all."""

from . import (  # noqa: F401  (importing a kind's module registers its editor)
    authz, classifier, complexity, context, conversation, domain, embedding, event, fact_check, input_modality,
    jailbreak, kb, keyword, language, metadata, modality, pii, preference, reask, safety, structure, user_feedback,
)
from .base import FieldSpec, SignalEditor
from .registry import EDITORS, editor_for, register

__all__ = ["EDITORS", "FieldSpec", "SignalEditor", "editor_for", "register"]
