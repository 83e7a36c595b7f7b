"""PII detection for the 17 entity types of vLLM Semantic Router's PII model.

Types with a checksum or a grammar are found by patterns and validated, not just matched:
credit cards (Luhn), IBANs (ISO 13616 mod-97 and per-country length), US SSNs (area/group/serial
rules), IP addresses (parsed by :mod:`ipaddress`). PERSON, ORGANIZATION, GPE, NRP and TITLE need
a model: :mod:`.pii_names` scores them, and :func:`detect_pii` takes those scores. The small
gazetteers plus capitalisation cues here are the fallback where that model cannot run (an
encoder without token features); their precision and recall are measured in the tests beside
the model's. Scores are per text and type, in [0, 1].
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import polars as pl

from policies.inference.bundle import file_sha256
from policies.inference.scores import Scores
from policies.labels import PII_TYPES

NAME_TYPES = ("GPE", "NRP", "ORGANIZATION", "PERSON", "TITLE")  # scored by the name head (.pii_names)


@dataclass(frozen=True)
class PiiMatch:
    type: str
    start: int
    end: int
    text: str
    score: float


def word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to the whole words it touches (sub-word pieces merged)."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def token_spans(text: str, tokens: Sequence[tuple[int, int, str | None, float, bool]]) -> list[PiiMatch]:
    """Entities from a token model's per-token verdicts ``(start, end, type or None, score, begins)``:
    consecutive tokens of one type form a span (``begins``, a ``B-`` label, starts a new one), widened to
    whole words; touching spans of one type merge. A span's score is its best token's. Special tokens
    (empty offsets) are skipped."""
    found: list[PiiMatch] = []
    current: list[Any] | None = None  # [type, start, end, score]

    def close() -> None:
        if current is None:
            return
        start, end = word_bounds(text, current[1], current[2])
        last = found[-1] if found else None
        if last is not None and last.type == current[0] and last.end >= start:
            found[-1] = PiiMatch(last.type, last.start, end, text[last.start:end], max(last.score, current[3]))
        else:
            found.append(PiiMatch(current[0], start, end, text[start:end], current[3]))

    for start, end, kind, score, begins in tokens:
        if end <= start:
            continue
        if kind is None:
            close()
            current = None
        elif current is not None and current[0] == kind and not begins:
            current[2], current[3] = end, max(current[3], score)
        else:
            close()
            current = [kind, start, end, score]
    close()
    return found


# ---------------------------------------------------------------- checksums

def luhn_valid(digits: str) -> bool:
    """Luhn mod-10 check used by every payment card number."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27,
    "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
    "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def iban_valid(raw: str) -> bool:
    """ISO 13616: known country, its exact length, and mod-97 of the rearranged number equal to 1."""
    iban = re.sub(r"\s", "", raw).upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


# ---------------------------------------------------------------- gazetteers (heuristic types)

def _words(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in text.split("|") if w.strip())


GPE_NAMES = _words(
    "Afghanistan|Argentina|Australia|Austria|Bangladesh|Belgium|Brazil|Canada|Chile|China|Colombia|Cuba|"
    "Denmark|Egypt|England|Ethiopia|Finland|France|Germany|Ghana|Greece|Hungary|India|Indonesia|Iran|Iraq|"
    "Ireland|Israel|Italy|Japan|Kenya|Korea|Mexico|Morocco|Netherlands|New Zealand|Nigeria|Norway|Pakistan|"
    "Peru|Philippines|Poland|Portugal|Romania|Russia|Saudi Arabia|Scotland|Singapore|South Africa|Spain|"
    "Sweden|Switzerland|Taiwan|Thailand|Turkey|Ukraine|United Kingdom|United States|USA|UK|Vietnam|Wales|"
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|"
    "Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|"
    "Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
    "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|"
    "South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|"
    "Amsterdam|Athens|Atlanta|Austin|Bangkok|Barcelona|Beijing|Berlin|Boston|Brussels|Buenos Aires|Cairo|"
    "Chicago|Dallas|Delhi|Denver|Dubai|Dublin|Frankfurt|Geneva|Hong Kong|Houston|Istanbul|Jakarta|"
    "Lagos|Lisbon|London|Los Angeles|Madrid|Manchester|Melbourne|Miami|Milan|Montreal|Moscow|Mumbai|Munich|"
    "Nairobi|Paris|Philadelphia|Phoenix|Prague|Rome|San Diego|San Francisco|Seattle|Seoul|Shanghai|"
    "Stockholm|Sydney|Tokyo|Toronto|Vancouver|Vienna|Warsaw|Zurich")
NRP_NAMES = _words(
    "American|Americans|British|Canadian|Chinese|Dutch|English|French|German|Germans|Greek|Indian|Irish|"
    "Israeli|Italian|Japanese|Korean|Mexican|Nigerian|Pakistani|Polish|Russian|Scottish|Spanish|Swedish|"
    "Turkish|Ukrainian|Vietnamese|Arab|Arabs|Asian|African|European|Hispanic|Latino|Latina|Christian|"
    "Christians|Catholic|Catholics|Protestant|Muslim|Muslims|Islamic|Jewish|Jew|Jews|Hindu|Hindus|Buddhist|"
    "Buddhists|Sikh|Mormon|Atheist|Democrat|Democrats|Republican|Republicans|Conservative|Conservatives|"
    "Liberal|Liberals|Labour|Socialist|Communist|Libertarian")
ORG_NAMES = _words(
    "Google|Alphabet|Microsoft|Apple|Amazon|Meta|Facebook|IBM|Intel|Nvidia|NVIDIA|Oracle|Tesla|Netflix|"
    "OpenAI|Anthropic|Samsung|Sony|Toyota|Walmart|Pfizer|Goldman Sachs|JPMorgan|Morgan Stanley|Deloitte|"
    "McKinsey|Accenture|Siemens|Shell|BP|Exxon|Boeing|Airbus|Visa|Mastercard|PayPal|Uber|Airbnb|Spotify|"
    "Twitter|LinkedIn|Salesforce|Adobe|Cisco|NASA|FBI|CIA|NSA|IRS|FDA|CDC|WHO|UN|UNICEF|NATO|IMF|"
    "World Bank|European Union|United Nations|Red Cross|Harvard|Stanford|MIT|Oxford|Cambridge|Yale")
ORG_SUFFIXES = ("Inc", "Inc.", "Corp", "Corp.", "Corporation", "LLC", "Ltd", "Ltd.", "GmbH", "AG", "plc", "PLC",
                "Co.", "Company", "Group", "Holdings", "Bank", "University", "College", "Institute",
                "Foundation", "Association", "Agency", "Department", "Ministry", "Hospital", "Partners",
                "Technologies", "Systems", "Labs")
FIRST_NAMES = _words(
    "James|John|Robert|Michael|William|David|Richard|Joseph|Thomas|Charles|Christopher|Daniel|Matthew|"
    "Anthony|Mark|Donald|Steven|Paul|Andrew|Joshua|Kenneth|Kevin|Brian|George|Timothy|Ronald|Edward|Jason|"
    "Jeffrey|Ryan|Jacob|Gary|Nicholas|Eric|Jonathan|Stephen|Larry|Justin|Scott|Brandon|Benjamin|Samuel|"
    "Frank|Gregory|Raymond|Alexander|Patrick|Jack|Dennis|Jerry|Tyler|Aaron|Jose|Adam|Henry|Nathan|Peter|"
    "Zachary|Kyle|Noah|Alan|Ethan|Jeremy|Carl|Keith|Roger|Arthur|Terry|Lawrence|Sean|Christian|Albert|"
    "Mary|Patricia|Jennifer|Linda|Elizabeth|Barbara|Susan|Jessica|Sarah|Karen|Lisa|Nancy|Betty|Sandra|"
    "Margaret|Ashley|Kimberly|Emily|Donna|Michelle|Carol|Amanda|Melissa|Deborah|Stephanie|Dorothy|Rebecca|"
    "Sharon|Laura|Cynthia|Amy|Kathleen|Angela|Shirley|Brenda|Emma|Anna|Pamela|Nicole|Samantha|Katherine|"
    "Christine|Helen|Debra|Rachel|Carolyn|Janet|Maria|Catherine|Heather|Diane|Olivia|Julie|Joyce|Victoria|"
    "Ruth|Virginia|Lauren|Kelly|Christina|Joan|Evelyn|Judith|Andrea|Hannah|Megan|Cheryl|Jacqueline|Martha|"
    "Madison|Teresa|Gloria|Sara|Janice|Ann|Kathryn|Abigail|Sophia|Frances|Jean|Alice|Judy|Isabella|Julia|"
    "Grace|Amber|Denise|Danielle|Marilyn|Beverly|Charlotte|Natalie|Theresa|Diana|Brittany|Doris|Kayla|"
    "Alexis|Lori|Marie|Wei|Li|Mohammed|Muhammad|Ahmed|Ali|Fatima|Aisha|Priya|Raj|Rahul|Hiroshi|Yuki|Juan|"
    "Carlos|Luis|Miguel|Sofia|Lucia|Pierre|Hans|Ivan|Olga|Elena|Dmitri|Sven|Lars|Ingrid|Kwame|Chen")
HONORIFICS = ("Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Miss", "Dr.", "Dr", "Prof.", "Professor", "Sir",
              "Dame", "Rev.", "Hon.", "Judge", "Senator", "Governor", "President", "Captain", "Officer")
JOB_TITLES = ("CEO", "CFO", "CTO", "COO", "CIO", "CISO", "chief executive officer", "chief financial officer",
              "vice president", "VP", "director", "manager", "head of", "general counsel", "chairman",
              "chairwoman", "president", "senator", "governor", "attorney", "nurse practitioner", "physician",
              "surgeon", "professor", "software engineer", "accountant", "principal")

STATE_CODES = _words(
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC")
TLDS = _words("com|org|net|edu|gov|mil|io|ai|co|us|uk|de|fr|jp|cn|in|ca|au|info|biz|dev|app|cloud|me|tv|eu|nl|"
              "ch|se|es|it|ru|br|ly|xyz|tech|online|site")


def gazetteer_pattern(words: frozenset[str] | Sequence[str]) -> str:
    """A regex matching any of ``words``, longest first, as a prefix tree.

    A flat ``a|b|c`` makes Python's ``re`` try every word at every position (gazetteers of
    hundreds of names made PII detection ~0.3 MB/s); the tree tries one branch per character.
    Greedy optional tails keep the flat form's longest-first choice.
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a word
    return _trie_regex(trie)


def _trie_regex(node: dict[str, dict]) -> str:
    ends = "" in node
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:  # a word ends here and longer ones continue: prefer the longer (greedy), else stop
        return "(?:" + body + ")?" if len(branches) > 1 or len(body) > 1 else body + "?"
    return body


# ---------------------------------------------------------------- recognisers

_CAP = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
R_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b")
R_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
R_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
R_SSN = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
R_SSN_BARE = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\D{0,15}(\d{3})(\d{2})(\d{4})\b")
R_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
R_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
R_PHONE = re.compile(r"(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\d)"
                     r"|(?<![\w+])\+(?:[2-9]\d{0,2})[ .-]?\d{1,4}(?:[ .-]?\d{2,4}){2,4}(?!\d)")
R_DOMAIN = re.compile(r"(?<![@\w.-])(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:"
                      + gazetteer_pattern(TLDS) + r"))(?![\w@-])", re.IGNORECASE)
_MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
R_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})\b"
    rf"|\b{_MONTHS}\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS},? \d{{4}}\b"
    r"|\b\d{1,2}:\d{2}\s?(?:[ap]\.?m\.?)?\b"
    r"|\b\d{1,2}\s?[ap]\.?m\.?(?!\w)", re.IGNORECASE)
R_DATE_SOFT = re.compile(rf"\b(?:(?:on |last |next |this )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
                         rf"|yesterday|tomorrow|tonight|{_MONTHS} \d{{4}}|(?:in|since) (?:19|20)\d{{2}})\b")
R_AGE = re.compile(r"(?i)\b(\d{1,3})[- ](?:years?|yrs?)[- ]old\b|\b(?:aged?|age:)\s*(\d{1,3})\b"
                   r"|\b(?:I am|I'm|he is|she is|he's|she's)\s+(\d{1,3})\b(?!\s*(?:%|percent|[a-z]+s\b))")
R_ZIP_CONTEXT = re.compile(r"\b(?:" + gazetteer_pattern(STATE_CODES) + r")\s+(\d{5}(?:-\d{4})?)\b"
                           r"|(?i:\b(?:zip|postal)(?:\s*code)?\W{0,3})(\d{5}(?:-\d{4})?)\b")
R_STREET = re.compile(r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))(?:\s+[A-Z][a-z]+){0,3}\s+"
                      r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
                      r"Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Square)\b\.?(?:,?\s+(?:Apt|Suite|Unit)\.?\s*\w+)?")
R_DL = re.compile(r"(?i)\b(?:driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|\bDL)(?:\s+(?:number|no\.?|#))?\W{0,4}"
                  r"([A-Z]{0,2}\d[A-Z0-9-]{4,13})\b")
R_HONORIFIC_NAME = re.compile(r"\b(?:" + gazetteer_pattern(HONORIFICS) + r")\s+(" + _CAP + r"(?:\s+" + _CAP + r")?)")
R_FIRST_LAST = re.compile(r"\b(" + gazetteer_pattern(FIRST_NAMES) + r")\s+(" + _CAP + r")\b")
R_FIRST = re.compile(r"(?<![.!?]\s)(?<!^)\b(" + gazetteer_pattern(FIRST_NAMES) + r")\b")
R_NAME_CUE = re.compile(r"(?:my name is|I am|I'm|named|called|patient|employee|customer|contact|from|to|by)\s+("
                        + _CAP + r"\s+" + _CAP + r")")
R_ORG_SUFFIX = re.compile(r"\b((?:[A-Z][\w&'-]*\s+){1,4}(?:" + gazetteer_pattern(ORG_SUFFIXES) + r"))(?!\w)")
R_ORG_NAME = re.compile(r"\b(" + gazetteer_pattern(ORG_NAMES) + r")\b")
R_GPE = re.compile(r"\b(" + gazetteer_pattern(GPE_NAMES) + r")\b")
R_NRP = re.compile(r"\b(" + gazetteer_pattern(NRP_NAMES) + r")\b")
R_TITLE_HON = re.compile(r"\b(" + gazetteer_pattern([h for h in HONORIFICS if h[0].isupper()]) + r")(?=\s+[A-Z])")
R_TITLE_JOB = re.compile(r"(?i)\b(" + gazetteer_pattern(JOB_TITLES) + r")\b")

Recogniser = Callable[[str], Iterator[PiiMatch]]


def _simple(kind: str, pattern: re.Pattern[str], score: float, group: int = 0) -> Recogniser:
    def find(text: str) -> Iterator[PiiMatch]:
        for m in pattern.finditer(text):
            g = group or next((i for i in range(1, (pattern.groups or 0) + 1) if m.group(i)), 0)
            yield PiiMatch(kind, m.start(g), m.end(g), m.group(g), score)
    return find


def _cards(text: str) -> Iterator[PiiMatch]:
    for m in R_CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            yield PiiMatch("CREDIT_CARD", m.start(), m.end(), m.group(), 0.95)


def _ibans(text: str) -> Iterator[PiiMatch]:
    for m in R_IBAN.finditer(text):
        if iban_valid(m.group()):
            yield PiiMatch("IBAN_CODE", m.start(), m.end(), m.group(), 0.98)


def _ssns(text: str) -> Iterator[PiiMatch]:
    for m in R_SSN.finditer(text):
        if ssn_valid(m.group(1), m.group(3), m.group(4)):
            yield PiiMatch("US_SSN", m.start(), m.end(), m.group(), 0.9 if m.group(2) == "-" else 0.6)
    for m in R_SSN_BARE.finditer(text):
        if ssn_valid(m.group(1), m.group(2), m.group(3)):
            yield PiiMatch("US_SSN", m.start(1), m.end(3), text[m.start(1):m.end(3)], 0.8)


def _ips(text: str) -> Iterator[PiiMatch]:
    for pattern, score in ((R_IPV4, 0.95), (R_IPV6, 0.9)):
        for m in pattern.finditer(text):
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            yield PiiMatch("IP_ADDRESS", m.start(), m.end(), m.group(), score)


def _ages(text: str) -> Iterator[PiiMatch]:
    for m in R_AGE.finditer(text):
        g = next(i for i in (1, 2, 3) if m.group(i))
        if 0 < int(m.group(g)) <= 120:
            score = 0.9 if g in (1, 2) else 0.5
            yield PiiMatch("AGE", m.start(g), m.end(g), m.group(g), score)


def _domains(text: str) -> Iterator[PiiMatch]:
    for m in R_DOMAIN.finditer(text):
        host = m.group(1)
        labels = host.lower().split(".")
        if len(labels) >= 2 and not all(part.isdigit() for part in labels[:-1]) and not host[0].isdigit():
            yield PiiMatch("DOMAIN_NAME", m.start(1), m.end(1), host, 0.85)


def _people(text: str) -> Iterator[PiiMatch]:
    yield from _simple("PERSON", R_HONORIFIC_NAME, 0.85, 1)(text)
    yield from _simple("PERSON", R_NAME_CUE, 0.7, 1)(text)
    for m in R_FIRST_LAST.finditer(text):
        if m.group(2) not in GPE_NAMES and m.group(2) not in ORG_NAMES:
            yield PiiMatch("PERSON", m.start(), m.end(), m.group(), 0.75)
    yield from _simple("PERSON", R_FIRST, 0.4, 1)(text)


def _orgs(text: str) -> Iterator[PiiMatch]:
    for m in R_ORG_SUFFIX.finditer(text):
        name = m.group(1)
        if name.split()[0] not in ("The", "A", "An", "Our", "My", "This") or len(name.split()) > 2:
            yield PiiMatch("ORGANIZATION", m.start(1), m.end(1), name, 0.75)
    yield from _simple("ORGANIZATION", R_ORG_NAME, 0.7, 1)(text)


def _titles(text: str) -> Iterator[PiiMatch]:
    yield from _simple("TITLE", R_TITLE_HON, 0.8, 1)(text)
    yield from _simple("TITLE", R_TITLE_JOB, 0.6, 1)(text)


_RUST_META = frozenset("\\.+*?()|[]{}^$#&-~")


def literal_alternation(words: frozenset[str] | Sequence[str]) -> str:
    """``(?:w1|w2|...)`` for Polars' (Rust) regex: longest first, metacharacters escaped.

    Python's ``re.escape`` also escapes spaces, which Rust's regex refuses.
    """
    escaped = ("".join("\\" + ch if ch in _RUST_META else ch for ch in w)
               for w in sorted(words, key=lambda w: (-len(w), w)))
    return "(?:" + "|".join(escaped) + ")"


# Each recogniser with a prefilter: a Rust regex (run by Polars over the whole column, on every
# core) that matches every text the recogniser can find something in, and many it cannot. Only
# texts it matches go through the recogniser's Python patterns; ``None`` runs it on every text.
# Most prompts hold no email, card, IBAN, SSN or IP address, and each Python scan of a long prompt
# costs as much as the rest of its signals together.
RECOGNISERS: tuple[tuple[Recogniser, str | None], ...] = (
    (_simple("EMAIL_ADDRESS", R_EMAIL, 0.95), "@"),
    (_cards, r"\d(?:[ -]?\d){12,18}"),
    (_ibans, r"[A-Z]{2}\d{2}"),
    (_ssns, r"\d{3}[- ]\d{2}[- ]\d{4}|(?i:ssn|social security)"),
    (_ips, r"\d{1,3}(?:\.\d{1,3}){3}|:[0-9A-Fa-f]{0,4}:"),
    (_simple("PHONE_NUMBER", R_PHONE, 0.8), r"\d{3}[ .-]\d{4}|\+[2-9]"),
    (_domains, r"(?i)[a-z0-9]\." + literal_alternation(TLDS)),
    (_simple("DATE_TIME", R_DATE, 0.85),
     r"(?i)\d{4}-\d{2}-\d{2}|\d[/.]\d|\d:\d\d|\d\s?[ap]\.?m|\b" + _MONTHS + r"\b"),
    (_simple("DATE_TIME", R_DATE_SOFT, 0.6),
     r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|tomorrow|tonight|"
     + _MONTHS + r" \d{4}|(?:in|since) (?:19|20)\d\d"),
    (_ages, r"(?i)\d[- ](?:years?|yrs?)[- ]old|\bage|(?:I am|I'm|he is|she is|he's|she's)\s+\d"),
    (_simple("ZIP_CODE", R_ZIP_CONTEXT, 0.85), r"\d{5}"),
    (_simple("STREET_ADDRESS", R_STREET, 0.85), r"\d\s+\S"),
    (_simple("US_DRIVER_LICENSE", R_DL, 0.8, 1), r"(?i)licen[cs]e|\bDL"),
)
# The fallback for the types the name model scores (NAME_TYPES).
NAME_RECOGNISERS: tuple[tuple[Recogniser, str | None], ...] = (
    (_people, None),  # first names and cue words ("from", "by") are in nearly every prompt
    (_orgs, literal_alternation(ORG_SUFFIXES) + "|" + literal_alternation(ORG_NAMES)),
    (_simple("GPE", R_GPE, 0.7, 1), literal_alternation(GPE_NAMES)),
    (_simple("NRP", R_NRP, 0.7, 1), literal_alternation(NRP_NAMES)),
    (_titles, "(?i)" + literal_alternation(JOB_TITLES) + "|" + literal_alternation(HONORIFICS)),
)
ALL_RECOGNISERS = RECOGNISERS + NAME_RECOGNISERS
EVERY_RECOGNISER: tuple[Recogniser, ...] = tuple(r for r, _ in ALL_RECOGNISERS)
# A span claimed by a checksummed/structured type is not also a phone number, date or zip.
_PRIORITY = ("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "STREET_ADDRESS",
             "PHONE_NUMBER", "US_DRIVER_LICENSE", "DOMAIN_NAME", "DATE_TIME", "ZIP_CODE", "AGE")


def find_pii(text: str, recognisers: Sequence[Recogniser] | None = None) -> list[PiiMatch]:
    """Every entity found in ``text`` (by ``recognisers``, default all), overlapping
    lower-priority structured matches removed."""
    found = [m for rec in (EVERY_RECOGNISER if recognisers is None else recognisers) for m in rec(text)]
    rank = {t: i for i, t in enumerate(_PRIORITY)}
    structured = sorted((m for m in found if m.type in rank), key=lambda m: (rank[m.type], -m.score))
    kept: list[PiiMatch] = []
    for m in structured:
        if not any(k.start < m.end and m.start < k.end and k.type != m.type for k in kept):
            kept.append(m)
    return kept + [m for m in found if m.type not in rank]


def candidates(texts: Sequence[str],
               recognisers: Sequence[tuple[Recogniser, str | None]] = ALL_RECOGNISERS) -> np.ndarray:
    """(texts × recognisers) booleans: which recognisers may find something in which text."""
    column = pl.Series("text", list(texts), dtype=pl.String).fill_null("")
    masks = [column.str.contains(prefilter) if prefilter else pl.Series([True] * len(column))
             for _, prefilter in recognisers]
    return np.column_stack([m.to_numpy() for m in masks]) if len(column) else np.zeros((0, len(recognisers)), bool)


def detect_pii(texts: Sequence[str], name_scores: Scores | None = None) -> Scores:
    """Per text, the highest confidence found for each of the 17 PII types (0 when absent).

    ``name_scores`` (from the name model, rows aligned with ``texts``) replace the heuristics for
    the types they cover; without them the heuristics run.
    """
    return with_name_scores(pattern_scores(texts, names_by_model=name_scores is not None), name_scores)


def pattern_scores(texts: Sequence[str], names_by_model: bool) -> np.ndarray:
    """The patterns' part of :func:`detect_pii`: [texts, PII_TYPES] float32; the name types stay 0
    when ``names_by_model`` (the name head scores them), else the name heuristics fill them."""
    recognisers = RECOGNISERS if names_by_model else ALL_RECOGNISERS
    column = {t: j for j, t in enumerate(PII_TYPES)}
    probs = np.zeros((len(texts), len(PII_TYPES)), dtype=np.float32)
    for i, (text, may_match) in enumerate(zip(texts, candidates(texts, recognisers))):
        for m in find_pii(text, [r for (r, _), ok in zip(recognisers, may_match) if ok]):
            j = column[m.type]
            probs[i, j] = max(probs[i, j], m.score)
    return probs


def with_name_scores(patterns: np.ndarray, name_scores: Scores | None) -> Scores:
    """:func:`pattern_scores` completed by the name model's columns (when given)."""
    probs = np.array(patterns, dtype=np.float32)
    if name_scores is not None:
        column = {t: j for j, t in enumerate(PII_TYPES)}
        for k, label in enumerate(name_scores.labels):
            probs[:, column[label]] = name_scores.probs[:, k]
    return Scores(tuple(PII_TYPES), probs)


def patterns_sha() -> str:
    """Identity of the pattern code (this file), for score-cache keys: any edit here invalidates
    every cached pattern score, as a new model file does its scores."""
    return file_sha256(Path(__file__))
