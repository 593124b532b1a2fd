"""Realistic generated incidents: families with common names, schools given by URN or by the name used at the scene."""

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from harness import REGISTER_DIR

from service.register.gias import read_establishments, read_links
from service.register.records import SettingLink, SettingRecord

# Common first names and surnames in England and Wales; invented families, no real child.
GIVEN_NAMES = (
    "Oliver", "Amelia", "George", "Isla", "Noah", "Ava", "Arthur", "Mia", "Harry", "Ivy", "Leo", "Lily", "Muhammad",
    "Isabella", "Jack", "Rosie", "Charlie", "Sophia", "Oscar", "Grace", "Jacob", "Freya", "Henry", "Olivia", "Thomas",
    "Florence", "Freddie", "Willow", "Alfie", "Emily", "Theo", "Ella", "Archie", "Poppy", "Joshua", "Evie", "Finley",
    "Aisha", "Mohammed", "Zara", "Kacper", "Zuzanna", "Ayaan", "Maryam", "Tyler", "Chloe", "Kai", "Jessica", "Reggie",
    "Daisy", "Riley", "Ruby", "Ethan", "Layla", "Harrison", "Phoebe", "Mason", "Sienna", "Jayden", "Aaliyah",
)
FAMILY_NAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts",
    "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris",
    "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark",
    "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker",
    "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins",
    "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Ali",
    "Hussain", "Begum", "Kowalski", "Nowak", "O'Brien", "Ahmed", "Singh", "Kaur", "Okafor", "Mensah", "Brookes-Hall",
)
SUMMARIES = (
    "Neighbour reported shouting and a door being slammed. Adults separated on police arrival; no injuries seen.",
    "Verbal argument escalated to damage to property. One adult arrested; children were upstairs at the time.",
    "Ex-partner attended the address in breach of a non-molestation order and was arrested nearby.",
    "Call from a child to 999 reporting an argument between adults. Officers attended and spoke to both adults.",
    "Adult reported being pushed during an argument over money. Minor injury; suspect left before police arrived.",
    "Third-party report of a disturbance. Officers found an intoxicated adult; safety advice given to the victim.",
)
POLICE_ACTIONS = (
    "DASH risk assessment completed", "Adult arrested", "Referral to IDVA", "Safety advice given",
    "Domestic Violence Protection Notice served", "Body-worn video recorded", "Suspect left before arrival",
)


@dataclass(frozen=True)
class BenchForce:
    force_id: str
    name: str
    default_la_code: str
    la_codes: tuple[str, ...]  # the force's other LAs


# Real forces with the register's (2015) LA codes: a county pair, a metropolitan county and most of London.
BENCH_FORCES = (
    BenchForce("derbyshire", "Derbyshire Constabulary", "830", ("831",)),
    BenchForce("nottinghamshire", "Nottinghamshire Police", "891", ("892",)),
    BenchForce("west-yorkshire", "West Yorkshire Police", "383", ("380", "381", "382", "384")),
    BenchForce("metropolitan", "Metropolitan Police Service", "209",
               tuple(str(code) for code in (*range(202, 214), *range(301, 321)) if code != 209)),
)


def force_la_codes(force: BenchForce) -> tuple[str, ...]:
    return (force.default_la_code, *force.la_codes)


# --- How a name is said at the scene ----------------------------------------------------------------------------

_SUFFIXES = (" Primary School", " Infant School", " Junior School", " School", " Academy", " College")
_CHURCH = (
    (re.compile(r"\bChurch of England\b"), ("CofE", "C of E", "CE")),
    (re.compile(r"\bRoman Catholic\b"), ("RC", "Catholic")),
    (re.compile(r"\bCatholic\b"), ("RC",)),
    (re.compile(r"\bVoluntary (Aided|Controlled)\b ?"), ("",)),
)


def scene_name(register_name: str, rng: random.Random) -> str:
    """The setting's name as a family or officer might give it: shortened, abbreviated, lower case or misspelt."""
    name = register_name
    form = rng.random()
    if form < 0.20:
        return name  # as on the register
    for pattern, replacements in _CHURCH:
        if pattern.search(name):
            name = pattern.sub(rng.choice(replacements), name)
    name = re.sub(r"\bSaint\b", "St", name) if rng.random() < 0.7 else name
    name = re.sub(r"\bSt\.? ", "Saint ", name) if rng.random() < 0.1 else name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and rng.random() < 0.7:
            kept = suffix.split()[0] if len(suffix.split()) == 2 and rng.random() < 0.5 else ""  # "Primary", "Junior"
            name = name[: -len(suffix)] + (" " + kept if kept else "")
            break
    name = re.sub(r"\s+", " ", name).strip(" ,")
    if form < 0.45:
        name = name.lower().replace("'", "").replace(",", "")
    elif form < 0.60:
        name = _misspell(name, rng)
    return name or register_name


def _misspell(name: str, rng: random.Random) -> str:
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return name
    at = rng.randrange(1, len(word) - 1)
    words[longest] = word[:at] + word[at + 1:] if rng.random() < 0.5 else word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return " ".join(words)


# --- The register as the generator sees it ----------------------------------------------------------------------

@dataclass
class SchoolPool:
    """Open settings by LA, and closed settings whose single open successor families may still name."""

    open_by_la: dict[str, list[SettingRecord]]
    old_names_by_la: dict[str, list[tuple[SettingRecord, str]]]  # (closed setting, the open successor's URN)
    by_urn: dict[str, SettingRecord]

    @classmethod
    def from_register(cls, register_dir: Path = REGISTER_DIR) -> "SchoolPool":
        settings = [s for s in read_establishments(register_dir / "establishments.csv") if isinstance(s, SettingRecord)]
        by_urn = {s.urn: s for s in settings}
        open_by_la: dict[str, list[SettingRecord]] = defaultdict(list)
        for setting in settings:
            if setting.is_open:
                open_by_la[setting.la_code].append(setting)
        successors: dict[str, set[str]] = defaultdict(set)
        for link in read_links(register_dir / "links.csv"):
            if not isinstance(link, SettingLink) or not link.is_successor:
                continue
            if link.link_urn in by_urn and by_urn[link.link_urn].is_open:
                successors[link.urn].add(link.link_urn)
        old_names_by_la: dict[str, list[tuple[SettingRecord, str]]] = defaultdict(list)
        for urn, after in successors.items():
            closed = by_urn.get(urn)
            if closed is not None and not closed.is_open and len(after) == 1:
                old_names_by_la[closed.la_code].append((closed, next(iter(after))))
        return cls(dict(open_by_la), dict(old_names_by_la), by_urn)

    def settings_in(self, la_codes: tuple[str, ...]) -> list[SettingRecord]:
        return [s for code in la_codes for s in self.open_by_la.get(code, ())]


# --- Incidents --------------------------------------------------------------------------------------------------

class IncidentFactory:
    """Deterministic stream of police incident bodies for one force, as the police API v1 takes them."""

    def __init__(self, pool: SchoolPool, force: BenchForce, *, seed: int, reference_prefix: str):
        self.pool, self.force = pool, force
        self.rng = random.Random(seed)
        self.prefix = reference_prefix
        self.count = 0
        self.today = datetime.now(UTC).date()

    def incident(self) -> dict:
        rng = self.rng
        self.count += 1
        occurred_at = datetime.now(UTC) - timedelta(minutes=rng.randint(30, 14 * 60))
        family = rng.choice(FAMILY_NAMES)
        home_la = rng.choice(force_la_codes(self.force)) if rng.random() < 0.8 else None
        children = [self._child(f"C{n + 1}", family, home_la) for n in range(rng.choices((1, 2, 3, 4), (45, 33, 15, 7))[0])]
        body = {
            "police_reference": f"{self.prefix}-{self.count:07d}",
            "occurred_at": occurred_at.isoformat(),
            "risk_level": rng.choices(("standard", "medium", "high", "not_assessed"), (50, 30, 12, 8))[0],
            "summary": rng.choice(SUMMARIES),
            "police_actions": rng.sample(POLICE_ACTIONS, rng.randint(1, 3)),
            "children": children,
        }
        return body

    def _child(self, reference: str, family: str, home_la: str | None) -> dict:
        rng = self.rng
        age = rng.choices(range(0, 18), [2, 3, 3, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 3])[0]
        born = self.today - timedelta(days=age * 365 + rng.randint(30, 330))
        child = {
            "child_reference": reference, "given_name": rng.choice(GIVEN_NAMES),
            "family_name": family if rng.random() < 0.85 else rng.choice(FAMILY_NAMES),
            "date_of_birth": born.isoformat(),
            "present_at_incident": rng.random() < 0.7, "spoken_to": rng.random() < 0.3,
        }
        if home_la:
            child["home_la_code"] = home_la
        if child["spoken_to"]:
            child["child_voice"] = rng.choice(("Said they were scared and hid upstairs.", "Said this happens a lot.",
                                               "Did not want to talk about it.", "Asked if their mum was all right."))
        status = "below_school_age" if age < 4 else rng.choices(
            ("attends_setting", "unknown", "elective_home_education", "missing_education", "not_in_education_employment_training"),
            (84, 6, 5, 3, 2))[0]
        child["education_status"] = status
        if status in ("attends_setting", "unknown"):
            child.update(self._setting_hint(home_la or self.force.default_la_code, age))
        return child

    def _setting_hint(self, la_code: str, age: int) -> dict:
        """URN only, name only, both, or nothing, the way police systems send them."""
        rng = self.rng
        nearby = la_code if rng.random() < 0.9 else rng.choice(force_la_codes(self.force))
        kind = rng.choices(("urn", "name", "both", "old_name", "none"), (45, 33, 10, 4, 8))[0]
        if kind == "none":
            return {}
        if kind == "old_name" and self.pool.old_names_by_la.get(nearby):
            closed, _successor = rng.choice(self.pool.old_names_by_la[nearby])
            return {"setting_name": scene_name(closed.name, rng)}
        fitting = [s for s in self.pool.open_by_la.get(nearby, ()) if s.takes_age(age)] or self.pool.open_by_la[la_code]
        setting = rng.choice(fitting)
        if kind == "urn":
            return {"setting_urn": setting.urn}
        if kind == "both":
            return {"setting_urn": setting.urn, "setting_name": scene_name(setting.name, rng)}
        return {"setting_name": scene_name(setting.name, rng)}


def notifications_in(body: dict) -> int:
    return len(body["children"])


def birthday_for_age(today: date, age: int) -> date:
    return today - timedelta(days=age * 365 + 180)
