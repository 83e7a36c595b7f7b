"""``language``: the prompt's detected language, from a small deterministic detector.

We ship our own detector (no package, no model data) so simulations are reproducible and fast:
a prompt's letters are counted per Unicode script; a non-Latin majority names the language
directly (Han → ``zh``, or ``ja`` when kana are present; Hangul → ``ko``; Cyrillic → ``ru``;
Arabic, Thai, Devanagari → ``hi``, Greek, Hebrew); Latin text is scored against stopword
profiles of en/es/fr/de/it/pt/nl. Confidence = share of letters in the winning script × share of
stopword hits won by the best profile (1.0 for non-Latin scripts' share alone). Text with no
letters, or Latin text with no stopword hit, is ``und`` (which the router reports as English, see
below). Codes follow lingua's ISO 639-1 names used by vLLM SR. The detector stands in for the
router's lingua-go. Known limit: it cannot tell apart languages that share
a script and lack distinctive stopwords (e.g. Serbian Cyrillic reads as ``ru``).

Router sources (github.com/vllm-project/semantic-router, under ``src/semantic-router/pkg/``):

* ``config/signal_config.go`` (``LanguageRule``) and ``classification/`` (``effectiveLanguageThreshold``
  beside ``evaluateLanguageSignal``): a ``threshold`` of 0 or below means the built-in 0.3.
* ``classification/language_classifier.go`` (``ClassifyWithThreshold``): a blank text, a text
  lingua-go cannot place, or a detection below the lowest threshold of the language rules is
  reported as English with confidence 0.5.
* ``evaluateLanguageSignal``: a rule matches when its name equals the reported code exactly (codes
  are lower-case ISO 639-1, so a rule named ``EN`` never matches) and the reported confidence reaches
  the rule's threshold (the router compares as float32; here as float64). No confidence is recorded for the match, so a decision counts
  it as 1.0 (``decision/engine.go``): language leaves are crisp.

Left out, with reason: the English fallback uses the lowest threshold across all language rules; a
leaf here sees one signal and uses its own, which is exact for every rule except ``en`` when another
language rule has a lower threshold. Our detector's confidence is not lingua-go's, so a threshold
tuned on the router may fire at a different share here. The solver sees the detected language as one
enumeration (``und`` when none) and its confidence as one score, shared by every language signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

UNDETERMINED = "und"  # our detector's answer when it cannot place a text
FALLBACK_LANGUAGE, FALLBACK_CONFIDENCE = "en", 0.5  # what the router reports then (ClassifyWithThreshold)
SCRIPTS: dict[str, str] = {  # language code -> Unicode script class
    "zh": r"\p{Han}", "ja": r"[\p{Hiragana}\p{Katakana}]", "ko": r"\p{Hangul}", "ru": r"\p{Cyrillic}",
    "ar": r"\p{Arabic}", "th": r"\p{Thai}", "hi": r"\p{Devanagari}", "el": r"\p{Greek}", "he": r"\p{Hebrew}",
}
STOPWORDS: dict[str, tuple[str, ...]] = {
    "en": ("the", "and", "is", "are", "of", "to", "in", "that", "it", "for", "with", "this", "what", "how",
           "you", "can", "be", "on", "my", "was", "which", "i", "me", "do", "please", "write"),
    "es": ("el", "la", "los", "las", "que", "y", "es", "en", "por", "para", "con", "una", "del", "como",
           "pero", "qué", "cómo", "está", "son", "mi", "lo", "se"),
    "fr": ("le", "la", "les", "et", "est", "des", "une", "que", "pour", "dans", "pas", "qui", "sur", "avec",
           "je", "vous", "ce", "au", "du", "il", "mon", "c'est"),
    "de": ("der", "die", "das", "und", "ist", "nicht", "ich", "mit", "sie", "ein", "eine", "zu", "den",
           "auf", "für", "wie", "was", "es", "dem", "mein", "auch", "wir"),
    "it": ("il", "di", "che", "è", "della", "per", "una", "sono", "non", "come", "gli", "con", "del",
           "nel", "questo", "mi", "ho", "cosa", "perché", "anche"),
    "pt": ("o", "os", "que", "não", "uma", "com", "para", "é", "do", "da", "dos", "em", "um", "como",
           "mas", "você", "isso", "meu", "está", "são"),
    "nl": ("de", "het", "een", "en", "is", "van", "niet", "dat", "ik", "je", "op", "met", "voor", "zijn",
           "wat", "hoe", "maar", "ook", "mijn", "dit"),
}


def detect_language(prompts: "pl.Series") -> "pl.DataFrame":
    """``lang`` and ``conf`` per prompt (see module docstring).

    Computed in stages: each count is a column that the comparisons read by name. Inlined into one
    expression, every comparison re-ran the word split and the stopword counts (about 100 passes:
    200 s for the 6,000 sample prompts)."""
    import polars as pl

    scripts = {code: f"script_{code}" for code in SCRIPTS}
    hits = {code: f"hits_{code}" for code in STOPWORDS}
    counted = pl.DataFrame({"prompt": prompts}).lazy().with_columns(
        pl.col("prompt").str.count_matches(r"\p{L}").cast(pl.Float64).alias("letters"),
        pl.col("prompt").str.count_matches(r"\p{Latin}").cast(pl.Float64).alias("latin"),
        *(pl.col("prompt").str.count_matches(pattern).cast(pl.Float64).alias(scripts[code])
          for code, pattern in SCRIPTS.items()),
        pl.col("prompt").str.to_lowercase().str.extract_all(r"[\p{L}']+").alias("words"),
    ).with_columns(
        # kana anywhere makes Han text Japanese
        pl.when(pl.col(scripts["ja"]) > 0).then(pl.col(scripts["ja"]) + pl.col(scripts["zh"]))
        .otherwise(0.0).alias(scripts["ja"]),
        *(pl.col("words").list.eval(pl.element().is_in(list(ws)).cast(pl.Float64)).list.sum().alias(hits[code])
          for code, ws in STOPWORDS.items()),
    ).with_columns(
        pl.max_horizontal([pl.col(c) for c in scripts.values()]).alias("best_script"),
        pl.max_horizontal([pl.col(c) for c in hits.values()]).alias("best_hits"),
        pl.sum_horizontal([pl.col(c) for c in hits.values()]).alias("total_hits"),
    )
    letters, latin = pl.col("letters"), pl.col("latin")
    best_script, best_hits, total_hits = pl.col("best_script"), pl.col("best_hits"), pl.col("total_hits")
    script_code = pl.coalesce([pl.when((pl.col(scripts[c]) == best_script) & (best_script > 0)).then(pl.lit(c))
                               for c in SCRIPTS])
    latin_code = pl.coalesce([pl.when((pl.col(hits[c]) == best_hits) & (best_hits > 0)).then(pl.lit(c))
                              for c in STOPWORDS])
    share = lambda count: count / pl.max_horizontal(letters, pl.lit(1.0))  # noqa: E731
    is_latin = latin >= best_script
    lang = (pl.when(letters == 0).then(pl.lit("und"))
            .when(is_latin).then(pl.coalesce(latin_code, pl.lit("und")))
            .otherwise(script_code))
    conf = (pl.when(letters == 0).then(0.0)
            .when(is_latin).then(share(latin) * best_hits / pl.max_horizontal(total_hits, pl.lit(1.0)))
            .otherwise(share(best_script)))
    return counted.select(lang.alias("lang"), conf.alias("conf")).collect()


class LanguageSignal(Signal):
    """Detector confidence threshold; unset (0) is the classifier's built-in 0.3 (``LanguageRule`` in
    ``src/semantic-router/pkg/config/signal_config.go``)."""

    collection = "language"
    leaf_type = "language"
    summary = "Detected prompt language."
    editor_fields = (
        EditorField("threshold", "float"),
    )
    required = ("description",)
    unit_threshold = True
    threshold_default = 0.3
    zero_threshold_is_unset = True
    threshold: float | None = None

    def effective_threshold(self) -> float:
        """The written threshold when above 0, else 0.3 (``effectiveLanguageThreshold``)."""
        value = self.threshold
        return self.threshold_default if value is None or value <= 0 else float(value)

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        pool = solver.pool
        language = pool.enum("language", "language", 3)
        conf = pool.number("language_conf", "real", "score", "language confidence", 3, 0, 1)
        t = self.effective_threshold()
        detected = z3.And(pool.is_(language, self.name), pool.at_least(conf, t))
        if self.name != FALLBACK_LANGUAGE or FALLBACK_CONFIDENCE < t:
            return detected, []
        return z3.Or(detected, pool.is_(language, UNDETERMINED), z3.Not(pool.at_least(conf, t))), []


class LanguageExtractor(Extractor):
    leaf_type = "language"

    def raw_key(self, signal: Signal) -> str:
        """One detection serves every language signal: it does not depend on the rule."""
        return "detector"

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        from ..simulation.frame import PROMPT

        detected = detect_language(frame[PROMPT])
        return {"lang": detected["lang"], "conf": detected["conf"]}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        import polars as pl

        assert isinstance(signal, LanguageSignal)
        t = signal.effective_threshold()
        conf = col("conf")
        fallback = (col("lang") == UNDETERMINED) | (conf < t)
        lang = pl.when(fallback).then(pl.lit(FALLBACK_LANGUAGE)).otherwise(col("lang"))
        reported = pl.when(fallback).then(pl.lit(FALLBACK_CONFIDENCE)).otherwise(conf)
        return LeafExpr(((lang == signal.name) & (reported >= t)).fill_null(False), None)
