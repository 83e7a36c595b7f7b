"""Fixed label sets of vLLM Semantic Router (see shared spec §10)."""

from __future__ import annotations

MMLU_DOMAINS: tuple[str, ...] = (
    "biology", "business", "chemistry", "computer science", "economics", "engineering", "health",
    "history", "law", "math", "other", "philosophy", "physics", "psychology",
)
FACT_CHECK_LABELS: tuple[str, ...] = ("needs_fact_check", "no_fact_check_needed")
USER_FEEDBACK_LABELS: tuple[str, ...] = ("satisfied", "need_clarification", "wrong_answer", "want_different")
MODALITY_LABELS: tuple[str, ...] = ("AR", "DIFFUSION", "BOTH")
INPUT_MODALITIES: tuple[str, ...] = ("text", "image", "audio", "video")
COMPLEXITY_LEVELS: tuple[str, ...] = ("easy", "medium", "hard")
PII_TYPES: tuple[str, ...] = (
    "AGE", "CREDIT_CARD", "DATE_TIME", "DOMAIN_NAME", "EMAIL_ADDRESS", "GPE", "IBAN_CODE",
    "IP_ADDRESS", "NRP", "ORGANIZATION", "PERSON", "PHONE_NUMBER", "STREET_ADDRESS", "TITLE",
    "US_DRIVER_LICENSE", "US_SSN", "ZIP_CODE",
)
