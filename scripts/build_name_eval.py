"""Builds the name-routing evaluation set (tests/routing/name_eval_cases.csv) from the real register, deterministically.

Each case is a setting name as a parent might give it at the scene, the child's home LA and age, and the true answer:
the URN a careful LA officer would choose from the register, or "LA" when a human must decide. The answer comes
from this script's own reading of the register (which settings could the words mean, which take a child of that
age), never from the router, so the router can be judged against it.

    .venv/bin/python scripts/build_name_eval.py            # writes tests/routing/name_eval_cases.csv
    .venv/bin/python scripts/build_name_eval.py --check    # fails if the committed file is out of date
"""

import argparse
import csv
import io
import random
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from service.register import register_dir  # noqa: E402
from service.register.gias import read_establishments, read_links  # noqa: E402
from service.register.records import SettingRecord  # noqa: E402

OUTPUT = REPO_ROOT / "tests" / "routing" / "name_eval_cases.csv"
SEED = 20251107  # the day the duty to notify settings began
LA = "LA"

# --- The script's own reading of a name: deliberately written apart from service/routing/names.py. ---------------

_TYPE_WORDS = {
    "nursery": "nursery", "infant": "infant", "infants": "infant", "first": "first", "junior": "junior",
    "juniors": "junior", "primary": "primary", "middle": "middle", "secondary": "secondary", "high": "secondary",
    "comprehensive": "secondary", "upper": "secondary", "lower": "first",
    "college": "college", "special": "special", "sixthform": "sixthform",
}
_KIN_TYPES = {("primary", "infant"), ("primary", "junior"), ("primary", "first"), ("infant", "first"),
              ("secondary", "college"), ("secondary", "sixthform"), ("college", "sixthform")}
_FAITH_WORDS = {"ce": "ce", "cofe": "ce", "catholic": "rc", "rc": "rc", "methodist": "methodist"}
_IGNORED = {"the", "school", "academy", "and", "of", "for", "community", "county", "cp", "voluntary", "controlled",
            "aided", "va", "vc", "endowed", "foundation", "mixed", "technology", "sports", "arts", "science",
            "specialist", "business", "enterprise", "language", "languages", "mathematics", "computing",
            "humanities", "performing", "preparatory", "free", "federation", "federated", "sixth", "form",
            "learning", "education", "trust", "studio", "media", "visual", "engineering"}
_PLACE_OR_TYPE = {"high", "upper", "lower", "middle", "first"}
_SCHOOL_KIND_WORDS = {"school", "sch", "academy", "college", "and", "church", "ce", "cofe", "c", "catholic", "rc",
                      "community", "voluntary", "county"} | set(_TYPE_WORDS)
_SEX_WORDS = {"boys": "boys", "boy": "boys", "girls": "girls", "girl": "girls"}
_SHORT_FORMS = {"saint": "st", "jnr": "junior", "inf": "infant", "prim": "primary", "sch": "school",
                "acad": "academy", "roman": "", "comm": "community", "infs": "infant", "jnrs": "junior"}


@dataclass(frozen=True)
class Reading:
    words: frozenset[str]  # distinctive words, plural/possessive "s" dropped
    types: frozenset[str]
    faiths: frozenset[str]
    sexes: frozenset[str]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def read_name(name: str) -> Reading:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['`]s\b", "", text).replace("'", "").replace("&", " and ")
    text = re.sub(r"\bchurch of england\b|\bc\.? ?of ?e\.?\b|\bc\.e\.", " ce ", text)
    text = re.sub(r"\br\.c\.", " rc ", text)
    text = re.sub(r"\bsixth form\b", " sixthform ", text)
    words, types, faiths, sexes = set(), set(), set(), set()
    raw = re.findall(r"[a-z0-9]+", text)
    for at, word in enumerate(raw):
        following = raw[at + 1] if at + 1 < len(raw) else ""
        if word == "roman" and following != "catholic":
            words.add(word)  # Roman Road, not Roman Catholic
            continue
        word = _SHORT_FORMS.get(word, word)
        if not word or word in _IGNORED:
            continue
        # "High Down", "Upper Wortley": place words, unless they end the name or come before the kind of school.
        if word in _PLACE_OR_TYPE and following and following not in _SCHOOL_KIND_WORDS:
            words.add(_stem(word))
            continue
        if word in _TYPE_WORDS:
            types.add(_TYPE_WORDS[word])
        elif word in _FAITH_WORDS:
            faiths.add(_FAITH_WORDS[word])
        elif word in _SEX_WORDS:
            sexes.add(_SEX_WORDS[word])
        else:
            words.add(_stem(word))
    return Reading(frozenset(words), frozenset(types), frozenset(faiths), frozenset(sexes))


def _types_clash(given: frozenset[str], register: frozenset[str]) -> bool:
    if not given or not register or given & register:
        return False
    return not any((g, r) in _KIN_TYPES or (r, g) in _KIN_TYPES for g in given for r in register)


def could_mean(given: Reading, register: Reading) -> bool:
    """Could a family giving these words mean this register name? Every distinctive word is in it, nothing contradicts."""
    if not given.words or not given.words <= register.words:
        return False
    if _types_clash(given.types, register.types):
        return False
    if given.faiths and register.faiths and not given.faiths & register.faiths:
        return False
    if given.sexes and register.sexes and not given.sexes & register.sexes:
        return False
    return True


def fit_of_words(given: Reading, name: "NameOnFile") -> tuple[bool, bool]:
    """(the same distinctive words, the type words given are there too): how closely a name answers the words."""
    types_there = not given.types or bool(given.types & name.reading.types)
    return given.words in (name.reading.words, name.head.words), types_there


# --- The register as a careful officer would use it. ----------------------------------------------------------------


@dataclass(frozen=True)
class NameOnFile:
    named: SettingRecord  # whose name this is (a closed predecessor, or the setting itself)
    target: SettingRecord  # the open setting a child with this name attends
    reading: Reading
    head: Reading  # the name without a ", Town" or "(Town)" qualifier, which families leave out


class Register:
    def __init__(self, folder: Path) -> None:
        self.settings = {s.urn: s for s in read_establishments(folder / "establishments.csv") if isinstance(s, SettingRecord)}
        self.successors: dict[str, list[str]] = defaultdict(list)
        for link in read_links(folder / "links.csv"):
            if getattr(link, "is_successor", False) and link.urn in self.settings and link.link_urn in self.settings:
                self.successors[link.urn].append(link.link_urn)
        self.names_by_la: dict[str, list[NameOnFile]] = defaultdict(list)
        self.words_anywhere: set[str] = set()
        for setting in sorted(self.settings.values(), key=lambda s: s.urn):
            reading = read_name(setting.name)
            self.words_anywhere |= reading.words
            target = setting if setting.is_open else self.single_open_successor(setting.urn)
            if target is not None:
                head = read_name(re.split(r",| - |\(", setting.name)[0])
                self.names_by_la[setting.la_code].append(NameOnFile(setting, target, reading, head))

    def single_open_successor(self, urn: str) -> SettingRecord | None:
        reached, frontier, seen = set(), [urn], {urn}
        for _ in range(4):
            following = []
            for current in frontier:
                for after in self.successors.get(current, []):
                    if after in seen:
                        continue
                    seen.add(after)
                    (reached.add(after) if self.settings[after].is_open else following.append(after))
            frontier = following
        return self.settings[reached.pop()] if len(reached) == 1 else None

    def true_answer(self, given_name: str, la_code: str, age: int) -> str:
        """The one open setting the words can mean for a child of this age in this LA, else LA."""
        given = read_name(given_name)
        meant = [n for n in self.names_by_la[la_code] if could_mean(given, n.reading)]
        fitting = {n.target.urn for n in meant if n.target.takes_age(age)}
        if len(fitting) != 1:
            return LA
        (urn,) = fitting
        target_fit = [fit_of_words(given, n) for n in meant if n.target.urn == urn]
        # Another setting answers the words better but the age rules it out: the family may have the age or name wrong.
        for other in (n for n in meant if not n.target.takes_age(age)):
            other_fit = fit_of_words(given, other)
            if not any(all(t >= o for t, o in zip(fit, other_fit)) for fit in target_fit):
                return LA
        return urn


# --- Ways a parent says a name. -------------------------------------------------------------------------------------

_DROPPABLE = r"\b(the|school|primary|academy|community|county|voluntary|controlled|aided|cp|va|vc|infants?'?|junior|" \
             r"church of england|c of e|cofe|ce|catholic|roman catholic|rc|and nursery|nursery|endowed|foundation|" \
             r"first|middle|high|college|secondary|juniors?)\b"


def casual(name: str) -> str:
    """What a parent calls it: "Oakfield" for "Oakfield Church of England Primary School, Anytown"."""
    short = re.sub(r"\([^)]*\)", " ", name)
    short = re.split(r",| - ", short)[0]
    short = re.sub(r"\b(and|&) (nursery|early years|children's centre|community centre|pre-school)\b.*$", " ", short,
                   flags=re.IGNORECASE)
    short = re.sub(_DROPPABLE, " ", short, flags=re.IGNORECASE)
    short = re.sub(r"\s+", " ", short).strip(" ,-&'")
    return re.sub(r"\s+(and|&)$", "", short).strip()


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(["swap", "drop", "double", "vowel"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    vowels = [j for j in range(1, len(word) - 1) if word[j] in "aeiou"]
    j = rng.choice(vowels) if vowels else i
    return word[:j] + rng.choice([v for v in "aeiou" if v != word[j]]) + word[j + 1:]


_ABBREVIATIONS = [
    (r"\bPrimary School\b", "Prim Sch"), (r"\bPrimary\b", "Prim"), (r"\bSchool\b", "Sch"), (r"\bJunior\b", "Jnr"),
    (r"\bInfants?'?\b", "Inf"), (r"\bAcademy\b", "Acad"), (r"\bSaint\b", "St"), (r"\bSt\.? ", "Saint "),
    (r"\bChurch of England\b", "C of E"), (r"\bC of E\b", "CE"), (r"\bCofE\b", "C of E"), (r"\bCE\b", "C.E."),
    (r"\bRoman Catholic\b", "RC"), (r"\bCatholic\b", "RC"), (r"\bRC\b", "Catholic"), (r" and ", " & "),
]


def abbreviate(name: str, rng: random.Random, patterns=None) -> str | None:
    usable = [(p, r) for p, r in (patterns or _ABBREVIATIONS) if re.search(p, name)]
    if not usable:
        return None
    for pattern, replacement in rng.sample(usable, k=min(len(usable), rng.randint(1, 3))):
        name = re.sub(pattern, replacement, name, count=1)
    return re.sub(r"\s+", " ", name).strip()


# --- Case building. -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str
    given_name: str
    home_la_code: str
    child_age: int
    expected: str


def age_for(setting: SettingRecord, rng: random.Random) -> int:
    low = max(setting.low_age if setting.low_age is not None else 5, 5)
    high = min(setting.high_age if setting.high_age is not None else 16, 17)
    return rng.randint(low, high) if low <= high else low


def open_schools(register: Register) -> list[SettingRecord]:
    return [s for s in sorted(register.settings.values(), key=lambda s: s.urn)
            if s.is_open and s.low_age is not None and s.high_age is not None and s.high_age >= 6]


def build_cases(register: Register, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    schools = open_schools(register)

    def add(kind: str, given: str, setting_la: str, age: int) -> None:
        if given and read_name(given).words:
            cases.append(Case(kind, given, setting_la, age, register.true_answer(given, setting_la, age)))

    for setting in rng.sample(schools, 20):
        add("full_name", setting.name, setting.la_code, age_for(setting, rng))

    picked = [s for s in rng.sample(schools, 400) if casual(s.name) and casual(s.name).lower() != s.name.lower()]
    for setting in picked[:40]:
        add("casual", casual(setting.name), setting.la_code, age_for(setting, rng))

    typo_cases = 0
    for setting in rng.sample(schools, 800):
        if typo_cases >= 35:
            break
        words = [w for w in re.findall(r"[A-Za-z]+", casual(setting.name)) if len(w) >= 7]
        if not words:
            continue
        word = max(words, key=len)
        slipped = typo(word, rng)
        stem = _stem(slipped.lower())
        # A slip that lands on a real register word is a different name, not a typo (see the near_miss kind).
        if stem in register.words_anywhere or stem == _stem(word.lower()):
            continue
        clean = casual(setting.name)
        given = clean.replace(word, slipped, 1)
        age = age_for(setting, rng)
        # A typo keeps the answer of the name it came from: the officer would read through it.
        cases.append(Case("typo", given, setting.la_code, age, register.true_answer(clean, setting.la_code, age)))
        typo_cases += 1

    abbreviated = 0
    for setting in rng.sample(schools, 600):
        if abbreviated >= 30:
            break
        given = abbreviate(setting.name, rng, _ABBREVIATIONS[:7] + _ABBREVIATIONS[-1:])
        if given and given != setting.name:
            add("abbreviation", given, setting.la_code, age_for(setting, rng))
            abbreviated += 1

    saints = [s for s in schools if re.search(r"\b(St\.?|Saint)\s", s.name)]
    for setting in rng.sample(saints, 25):
        swapped = re.sub(r"\bSaint\s", "St ", setting.name) if "Saint" in setting.name else re.sub(r"\bSt\.?\s", "Saint ", setting.name)
        add("saint", rng.choice([swapped, casual(swapped) + (" Primary" if "Primary" in setting.name else "")]),
            setting.la_code, age_for(setting, rng))

    church = [s for s in schools if re.search(r"Church of England|C of E|CofE|\bCE\b|Catholic|\bRC\b", s.name)]
    church_forms = [(r"Church of England|C of E|CofE|\bCE\b", ["C of E", "CE", "Church of England", "C.E.", "CofE"]),
                    (r"Roman Catholic|Catholic|\bRC\b", ["RC", "Catholic", "Roman Catholic", "R.C."])]
    for setting in rng.sample(church, 35):
        for pattern, forms in church_forms:
            found = re.search(pattern, setting.name)
            if found:
                form = rng.choice([f for f in forms if f != found.group(0)])
                stripped = re.sub(r"\b(Voluntary Aided|Voluntary Controlled|VA|VC|Primary|School|Academy)\b|\([^)]*\)", " ", setting.name)
                given = re.sub(pattern, form, stripped, count=1)
                add("church", re.sub(r"\s+", " ", given).strip(), setting.la_code, age_for(setting, rng))
                break

    add_infant_junior(register, rng, add)
    add_shared_names(register, rng, add)
    add_old_names(register, rng, add)
    add_near_misses(register, rng, cases)

    for setting in rng.sample([s for s in schools if s.high_age == 11 and s.phase == "Primary"], 12):
        add("wrong_age", casual(setting.name), setting.la_code, rng.randint(13, 16))

    add_exact_full_names(register, rng, add)
    add_long_typos(register, rng, cases)
    add_short_forms(register, rng, add)
    return cases


def add_exact_full_names(register: Register, rng: random.Random, add) -> None:
    """The official name exactly as the register spells it, the way a school's own letter heading gives it."""
    schools = [s for s in open_schools(register) if len(s.name.split()) >= 3]
    for setting in rng.sample(schools, 40):
        add("exact_full_name", setting.name, setting.la_code, age_for(setting, rng))


def slips(name: str, rng: random.Random, count: int) -> str | None:
    """One to three keyboard slips in the longer words of a name: swaps, doubled or missing letters, a lost space.

    Each slip lands in a different word (a word of nine letters or more may take two), as a hurried typist makes them.
    """
    words = name.split(" ")
    room = {i: (2 if len(w) >= 9 else 1) for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()}
    for _ in range(count):
        if rng.random() < 0.2:
            pairs = [i for i in range(len(words) - 1) if words[i].isalpha() and words[i + 1].isalpha()
                     and len(words[i]) >= 4 and len(words[i + 1]) >= 4 and i not in room and i + 1 not in room]
            if pairs:
                i = rng.choice(pairs)
                words[i:i + 2] = [words[i] + words[i + 1].lower()]
                room = {(j - 1 if j > i else j): n for j, n in room.items()}
                continue
        usable = [i for i, left in room.items() if left > 0]
        if not usable:
            return None
        i = rng.choice(usable)
        words[i] = typo(words[i], rng)
        room[i] -= 1
    return " ".join(words)


def add_long_typos(register: Register, rng: random.Random, cases: list[Case]) -> None:
    """Slips in longer names (two or more distinctive words, or one of eight letters or more)."""
    schools = [s for s in open_schools(register)
               if len(read_name(s.name).words) >= 2 or any(len(w) >= 8 for w in read_name(s.name).words)]
    found = 0
    for setting in rng.sample(schools, 600):
        if found >= 55:
            break
        clean = rng.choice([casual(setting.name), setting.name, casual(setting.name) + " School"])
        if not clean or not read_name(clean).words:
            continue
        given = slips(clean, rng, rng.choice([1, 1, 2, 2, 3]))
        if not given or given == clean:
            continue
        slipped = read_name(given).words - read_name(clean).words
        # A slip that lands on a real register word is a different name, not a typo (see the near_miss kind).
        if not slipped or slipped & register.words_anywhere:
            continue
        age = age_for(setting, rng)
        cases.append(Case("long_typo", given, setting.la_code, age, register.true_answer(clean, setting.la_code, age)))
        found += 1


_SHORT_FORM_PATTERNS = [
    (r"\bJunior School\b", "Jnr Sch"), (r"\bJunior\b", "Jnr"), (r"\bInfants?'? School\b", "Inf Sch"),
    (r"\bInfants?'?\b", "Inf"), (r"\bCommunity\b", "Comm"), (r"\bPrimary School\b", "School"),
    (r"\bPrimary\b ?", ""), (r"\bSchool\b", "Sch"), (r"\bLearning Centre\b", ""),
    (r"\b(Education|School|Academy) Trust\b", ""), (r"\bTrust\b ?", ""),
]


def add_short_forms(register: Register, rng: random.Random, add) -> None:
    """Short and abbreviated forms: "Jnr Sch", "Comm Inf", the name without "Primary", a centre's or trust's short name."""
    schools = [s for s in open_schools(register)
               if any(re.search(p, s.name) for p, _ in _SHORT_FORM_PATTERNS)]
    found = 0
    for setting in rng.sample(schools, min(len(schools), 800)):
        if found >= 60:
            break
        given = abbreviate(re.split(r",| - |\(", setting.name)[0] if rng.random() < 0.5 else setting.name, rng,
                           _SHORT_FORM_PATTERNS)
        if not given or given.lower() == setting.name.lower() or not read_name(given).words:
            continue
        add("short_form", given, setting.la_code, age_for(setting, rng))
        found += 1


def add_infant_junior(register: Register, rng: random.Random, add) -> None:
    by_la_and_words: dict[tuple, dict[str, SettingRecord]] = defaultdict(dict)
    for setting in open_schools(register):
        reading = read_name(setting.name)
        if reading.types & {"infant", "junior"} and len(reading.types & {"infant", "junior"}) == 1:
            by_la_and_words[(setting.la_code, reading.words, reading.faiths)][next(iter(reading.types & {"infant", "junior"}))] = setting
    pairs = [p for _, p in sorted(by_la_and_words.items(), key=lambda kv: sorted(kv[0][1])) if len(p) == 2]
    for pair in rng.sample(pairs, min(12, len(pairs))):
        infant, junior = pair["infant"], pair["junior"]
        infant_only = [a for a in range(max(infant.low_age, 4), infant.high_age + 1) if not junior.takes_age(a)]
        junior_only = [a for a in range(junior.low_age, junior.high_age + 1) if not infant.takes_age(a)]
        name = casual(infant.name)
        if infant_only:
            add("infant_junior", name, infant.la_code, max(infant_only))
        if junior_only:
            add("infant_junior", name, junior.la_code, rng.choice(junior_only))
            add("infant_junior", casual(infant.name) + " Infants", junior.la_code, rng.choice(junior_only))
        both = [a for a in range(4, 12) if infant.takes_age(a) and junior.takes_age(a)]
        if both:
            add("infant_junior", name + " School", infant.la_code, both[0])


def add_shared_names(register: Register, rng: random.Random, add) -> None:
    groups: dict[tuple, list[SettingRecord]] = defaultdict(list)
    for setting in open_schools(register):
        reading = read_name(setting.name)
        # Boys' and girls' schools of one name are told apart by the name a parent gives, so they share nothing.
        groups[(setting.la_code, reading.words, reading.sexes)].append(setting)
    shared = [g for _, g in sorted(groups.items(), key=lambda kv: (kv[0][0], sorted(kv[0][1]), sorted(kv[0][2])))
              if len(g) >= 2]
    for group in rng.sample(shared, min(30, len(shared))):
        first = group[0]
        fits_all = [a for a in range(5, 18) if all(s.takes_age(a) for s in group[:2])]
        if fits_all:
            add("shared_name", casual(first.name), first.la_code, rng.choice(fits_all))


def add_old_names(register: Register, rng: random.Random, add) -> None:
    renamed = [
        name
        for la_code in sorted(register.names_by_la)
        for name in register.names_by_la[la_code]
        if not name.named.is_open and name.reading.words and name.reading.words != read_name(name.target.name).words
    ]
    for name in rng.sample(renamed, min(40, len(renamed))):
        ages = [a for a in range(5, 18) if name.target.takes_age(a) and name.named.takes_age(a) and a in _AGES_FOR_TYPES.get(
            frozenset(name.reading.types), range(5, 18))]
        if not ages:
            continue
        given = rng.choice([name.named.name, casual(name.named.name) or name.named.name])
        add("old_name", given, name.named.la_code, rng.choice(ages))


# The ages an old name's type words imply, when the old record has no statutory ages of its own.
_AGES_FOR_TYPES = {
    frozenset({"infant"}): range(5, 8), frozenset({"junior"}): range(7, 12), frozenset({"primary"}): range(5, 12),
    frozenset({"first"}): range(5, 10), frozenset({"middle"}): range(9, 14), frozenset({"secondary"}): range(11, 17),
    frozenset({"nursery"}): range(3, 5), frozenset({"infant", "nursery"}): range(5, 8),
    frozenset({"primary", "nursery"}): range(5, 12),
}


def add_near_misses(register: Register, rng: random.Random, cases: list[Case]) -> None:
    """A real school name from elsewhere, one letter off a school in the child's LA: a human must decide."""
    from rapidfuzz.distance import DamerauLevenshtein

    words_in_la: dict[str, dict[str, SettingRecord]] = defaultdict(dict)
    for setting in open_schools(register):
        for word in read_name(setting.name).words:
            if len(word) >= 6:
                words_in_la[setting.la_code].setdefault(word, setting)
    found = 0
    elsewhere = open_schools(register)
    for setting in rng.sample(elsewhere, len(elsewhere)):
        if found >= 20:
            break
        reading = read_name(setting.name)
        if len(reading.words) != 1:
            continue
        (word,) = reading.words
        if len(word) < 6:
            continue
        for la_code in rng.sample(sorted(words_in_la), 40):
            if la_code == setting.la_code:
                continue
            near = [w for w in words_in_la[la_code] if w != word and DamerauLevenshtein.distance(w, word) == 1]
            if near and word not in words_in_la[la_code]:
                given = casual(setting.name)
                age = age_for(words_in_la[la_code][near[0]], rng)
                answer = register.true_answer(given, la_code, age)
                cases.append(Case("near_miss", given, la_code, age, answer))
                found += 1
                break


def render(cases: list[Case]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["case_id", "kind", "given_name", "home_la_code", "child_age", "expected"])
    seen = set()
    numbered = 0
    for case in cases:
        key = (case.given_name.lower(), case.home_la_code, case.child_age)
        if key in seen:
            continue
        seen.add(key)
        numbered += 1
        writer.writerow([f"{numbered:03d}", case.kind, case.given_name, case.home_la_code, case.child_age, case.expected])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed cases differ from a fresh build")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--seed", type=int, default=SEED, help="another seed gives fresh cases to test thresholds on")
    args = parser.parse_args(argv)
    text = render(build_cases(Register(register_dir()), random.Random(args.seed)))
    if args.check:
        if args.output.read_text() != text:
            print(f"{args.output} is out of date; run scripts/build_name_eval.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {text.count(chr(10)) - 1} cases to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
