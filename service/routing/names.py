"""How a setting name is reduced to its distinctive words and its type words, and how two names are compared."""

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

# Whole phrases first (longest first), so "c of e" is not read as the letters c and e.
_PHRASES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("church", "of", "england"), ("ce",)),
    (("c", "of", "e"), ("ce",)),
    (("c", "e"), ("ce",)),
    (("roman", "rc"), ("rc",)),  # "catholic" is already "rc" by then
    (("r", "c"), ("rc",)),
    (("sixth", "form"), ("sixthform",)),
    (("pupil", "referral", "unit"), ("pru",)),
    (("junior", "mixed", "and", "infant"), ("junior", "infant")),
    (("junior", "and", "infant"), ("junior", "infant")),
    (("all", "through"), ("allthrough",)),
    (("early", "years"), ("nursery",)),
    (("and", "community", "centre"), ()),
    (("and", "childrens", "centre"), ()),
    (("and", "children", "centre"), ()),
)

_SPELLINGS = {
    "saint": "st", "ste": "st",
    "cofe": "ce", "coe": "ce",
    "catholic": "rc",
    "jnr": "junior", "jun": "junior", "jr": "junior", "juniors": "junior",
    "inf": "infant", "infs": "infant", "infants": "infant",
    "prim": "primary", "pri": "primary", "prm": "primary",
    "sch": "school", "schl": "school", "schools": "school",
    "acad": "academy", "acd": "academy",
    "sec": "secondary", "comp": "comprehensive", "nurs": "nursery", "coll": "college",
    "meth": "methodist", "mt": "mount", "gt": "great",
    "jmi": "junior infant",
    "boy": "boys", "girl": "girls",
    "comm": "community", "cmty": "community",
}

# Words that say what kind of place it is, not which one: dropped so they cannot carry a match.
GENERIC_WORDS = frozenset({
    "the", "school", "academy", "and", "of", "for", "community", "county", "cp", "voluntary", "controlled", "aided",
    "va", "vc", "endowed", "federated", "federation", "mixed", "technology", "sports", "sport", "arts", "science",
    "sciences", "business", "enterprise", "language", "languages", "specialist", "mathematics", "maths", "computing",
    "humanities", "performing", "visual", "engineering", "media", "foundation", "preparatory", "prep", "free",
    "studio", "status", "trust", "learning", "education",
})

# Phase words name the stage of education; a child's age and these words tell "Oakfield Infant" from "Oakfield Junior".
_PHASES = {
    "nursery": "nursery", "infant": "infant", "first": "first", "junior": "junior", "primary": "primary",
    "middle": "middle", "secondary": "secondary", "comprehensive": "secondary",
    "high": "secondary", "upper": "secondary", "lower": "first", "college": "college", "sixthform": "sixthform",
    "special": "special", "pru": "special", "allthrough": "allthrough",
}
# These are also ordinary place words ("High Street", "Upper Wortley"), so they count as phases only before a
# school word or at the end of the name.
_PHASE_ONLY_AT_END = frozenset({"high", "upper", "lower", "middle", "first"})
_SCHOOL_WORDS = frozenset({"school", "academy", "college", "and"}) | frozenset(_PHASES)

_NEAR_PHASES = {
    "primary": {"infant", "junior", "first"},
    "infant": {"primary", "first"},
    "first": {"infant", "primary"},
    "junior": {"primary"},
    "secondary": {"college", "sixthform", "allthrough"},
    "college": {"secondary", "sixthform"},
    "sixthform": {"secondary", "college"},
    "allthrough": {"secondary", "primary"},
}

_FAITHS = {"ce": "ce", "rc": "rc", "methodist": "methodist", "jewish": "jewish", "islamic": "muslim",
           "muslim": "muslim", "sikh": "sikh", "hindu": "hindu"}
_SEXES = {"boys": "boys", "girls": "girls"}

_POSSESSIVE = re.compile(r"['\u2019`]s\b")
_APOSTROPHE = re.compile(r"['\u2019`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_QUALIFIER = re.compile(r",| - |\(")


@dataclass(frozen=True, slots=True)
class WordRun:
    """Distinctive words with the spellings compare() needs, worked out once per name rather than per comparison."""

    words: tuple[str, ...]
    joined: str
    nospace: str
    stems: tuple[str, ...]
    # The words in sorted order, as fuzz.token_sort_ratio reads them: sorted once here, not on every comparison.
    sorted_joined: str

    @classmethod
    def of(cls, words: tuple[str, ...]) -> "WordRun":
        return cls(words, " ".join(words), "".join(words), tuple(word_stem(w) for w in words), " ".join(sorted(words)))


@dataclass(frozen=True, slots=True)
class NameForm:
    core: tuple[str, ...]  # the distinctive words, in order, spelled one way
    phases: frozenset[str]
    faiths: frozenset[str]
    sexes: frozenset[str]
    # The distinctive words before a ", Town" or " - Site" qualifier, which families leave out.
    short_core: tuple[str, ...] = ()
    full: WordRun = field(init=False, compare=False, repr=False)
    short: WordRun | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "full", WordRun.of(self.core))
        object.__setattr__(self, "short", WordRun.of(self.short_core) if self.short_core else None)

    @property
    def joined(self) -> str:
        return self.full.joined

    @property
    def nospace(self) -> str:
        return self.full.nospace


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("+", " and ")
    text = _APOSTROPHE.sub("", _POSSESSIVE.sub("", text))
    words: list[str] = []
    for word in _NOT_WORD.sub(" ", text).split():
        words.extend(_SPELLINGS.get(word, word).split())
    return words


def _apply_phrases(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase, replacement in _PHRASES:
            if tuple(words[i:i + len(phrase)]) == phrase:
                out.extend(replacement)
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def name_form(name: str) -> NameForm:
    form = _name_form(name)
    head = _QUALIFIER.split(name, maxsplit=1)[0]
    if head != name:
        short = _name_form(head).core
        if short and short != form.core:
            return NameForm(form.core, form.phases, form.faiths, form.sexes, short)
    return form


# Police send the same few names for every child of a family; reading a name costs more than scoring it.
given_name_form = lru_cache(maxsize=4096)(name_form)

# The type words people mistype most; a given word one slip from one of these (and not itself a register word) is it.
_TYPE_VOCABULARY = ("community", "secondary", "methodist", "voluntary", "controlled", "foundation", "catholic",
                    "primary", "academy", "college", "nursery", "england", "church", "infant", "junior", "school",
                    "infants", "juniors")


def _type_word_meant(word: str) -> str | None:
    if len(word) < 5:
        return None
    for meant in _TYPE_VOCABULARY:
        allowed = 2 if len(meant) >= 7 and len(word) >= 7 else 1
        if abs(len(word) - len(meant)) <= allowed and DamerauLevenshtein.distance(word, meant, score_cutoff=allowed) <= allowed:
            return meant
    return None


def _split_run_on(word: str, known_words) -> list[str]:
    """ "mossgateprimary" is "mossgate primary": a lost space before a type word, found at the end of the word."""
    if len(word) < 8 or word in known_words:
        return [word]
    for meant in _TYPE_VOCABULARY:
        for cut in (len(meant), len(meant) - 1, len(meant) + 1):
            head, tail = word[:-cut], word[-cut:]
            if len(head) < 3:
                continue
            if tail == meant or (len(meant) >= 6 and _type_word_meant(tail) == meant):
                return [*_split_run_on(head, known_words), meant]
    return [word]


def mend_given_name(name: str, known_words) -> str:
    """A name given at the scene with slips in its type words mended ("Primery Schoool", "Oakfieldprimary").

    Only words that are not themselves a register word are touched, so a real name is never read as another.
    """
    mended: list[str] = []
    changed = False
    for token in re.split(r"(\s+)", name):
        word = token.lower()
        if not word.isalpha() or word in known_words or word in _SPELLINGS or word in _PHASES or word in GENERIC_WORDS \
                or word in _FAITHS or word_stem(word) in known_words:
            mended.append(token)
            continue
        pieces = _split_run_on(word, known_words)
        pieces = [piece if piece in known_words else (_type_word_meant(piece) or piece) for piece in pieces]
        if pieces != [word]:
            changed = True
            mended.append(" ".join(pieces))
        else:
            mended.append(token)
    return "".join(mended) if changed else name


def _name_form(name: str) -> NameForm:
    words = _apply_phrases(_words(name))
    core: list[str] = []
    phases: set[str] = set()
    faiths: set[str] = set()
    sexes: set[str] = set()
    for i, word in enumerate(words):
        if word in _PHASES:
            following = words[i + 1] if i + 1 < len(words) else None
            if word not in _PHASE_ONLY_AT_END or following is None or following in _SCHOOL_WORDS:
                phases.add(_PHASES[word])
                continue
        if word in _FAITHS:
            faiths.add(_FAITHS[word])
        elif word in _SEXES:
            sexes.add(_SEXES[word])
        elif word not in GENERIC_WORDS:
            core.append(word)
    if {"infant", "junior"} <= phases:
        phases.add("primary")
    return NameForm(tuple(_interned_word(word) for word in core), _interned_markers(phases),
                    _interned_markers(faiths), _interned_markers(sexes))


# 30,000 register names share a few thousand words and a few dozen sets of type words: one copy of each (issue 17).
_MARKER_SETS: dict[frozenset[str], frozenset[str]] = {}


def _interned_markers(words: set[str]) -> frozenset[str]:
    key = frozenset(words)
    return _MARKER_SETS.setdefault(key, key)


def _interned_word(word: str) -> str:
    return sys.intern(word)


def word_stem(word: str) -> str:
    """"oakfields" and "oakfield", "marys" and "mary" are the same name to a parent."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _words_all_there(given: WordRun, register: WordRun) -> bool:
    for word, stem in zip(given.words, given.stems):
        if stem in register.stems:
            continue
        if len(word) < 5 or not any(_slip_apart(word, other) for other in register.words):
            return False
    return True


def _slip_apart(given: str, register: str) -> bool:
    shorter = min(len(given), len(register))
    allowed = 2 if shorter >= 9 else 1
    if shorter < 5 or abs(len(given) - len(register)) > allowed:
        return False
    return DamerauLevenshtein.distance(given, register, score_cutoff=allowed) <= allowed


def words_alike(given: str, register: str) -> bool:
    """Same word allowing one slip of the keyboard (two in long words)."""
    return given == register or word_stem(given) == word_stem(register) or _slip_apart(given, register)


@dataclass(frozen=True, slots=True)
class Comparison:
    score: float  # 0..100
    covers: bool  # every distinctive word given is in this name, and no type word contradicts it
    contradicts: bool  # a phase, faith or boys/girls word given contradicts this name


# Points taken off when a type word given is missing from the name or contradicts it.
CONTRADICTION_PENALTY = 30.0
NEAR_PHASE_PENALTY = 5.0
UNSTATED_PHASE_PENALTY = 5.0
UNSTATED_FAITH_PENALTY = 10.0
UNSTATED_SEX_PENALTY = 5.0
# A given word that is itself a real register word (e.g. "Redhill") is not a typo of a different word ("Redhall").
KNOWN_WORD_CAP = 75.0


def _marker_penalty(given: frozenset[str], register: frozenset[str], unstated: float, near: dict | None = None) -> tuple[float, bool]:
    if not given or given & register:
        return 0.0, False
    if not register:
        return unstated, False
    if near and any(register & near.get(g, set()) for g in given):
        return NEAR_PHASE_PENALTY, False
    return CONTRADICTION_PENALTY, True


# Points off per slip of the keyboard in a name whose words otherwise line up one for one with a register name.
SLIP_PENALTY = 4.0


def slip_similarity(given: WordRun, register: WordRun, known_words=frozenset()) -> float:
    """100 less SLIP_PENALTY per slipped word when the words line up one for one, each the same or one slip apart.

    A given word that is itself a register word is a different name, never a slip ("Redhill" is not "Redhall").
    """
    if len(given.words) != len(register.words):
        return 0.0
    slips = 0
    for word, stem, other, other_stem in zip(given.words, given.stems, register.words, register.stems):
        if stem == other_stem:
            continue
        if word in known_words or not _slip_apart(word, other):
            return 0.0
        slips += 1
    return 100.0 - SLIP_PENALTY * slips if slips else 0.0


def _similarity(given: WordRun, register: WordRun, known_words) -> float:
    if given.nospace == register.nospace:
        return 100.0
    if given.stems == register.stems:
        return 98.0
    similarity = max(
        slip_similarity(given, register, known_words),
        fuzz.ratio(given.joined, register.joined),
        fuzz.token_sort_ratio(given.joined, register.joined),
        fuzz.ratio(given.nospace, register.nospace),
    )
    if similarity > KNOWN_WORD_CAP and any(
        len(w) >= 4 and w in known_words and stem not in register.stems for w, stem in zip(given.words, given.stems)
    ):
        similarity = KNOWN_WORD_CAP
    return similarity


def compare(given: NameForm, register: NameForm, known_words: frozenset[str] | set[str] = frozenset()) -> Comparison:
    """How well a name given at the scene fits one register name; type words adjust, distinctive words decide."""
    if not given.core or not register.core:
        return Comparison(0.0, False, False)
    similarity = _similarity(given.full, register.full, known_words)
    if register.short is not None and similarity < 100.0:
        similarity = max(similarity, _similarity(given.full, register.short, known_words))
    same_letters = given.nospace == register.nospace
    phase_penalty, phase_clash = _marker_penalty(given.phases, register.phases, UNSTATED_PHASE_PENALTY, _NEAR_PHASES)
    faith_penalty, faith_clash = _marker_penalty(given.faiths, register.faiths, UNSTATED_FAITH_PENALTY)
    sex_penalty, sex_clash = _marker_penalty(given.sexes, register.sexes, UNSTATED_SEX_PENALTY)
    contradicts = phase_clash or faith_clash or sex_clash
    covers = not contradicts and (same_letters or _words_contained(given, register))
    score = max(0.0, similarity - phase_penalty - faith_penalty - sex_penalty)
    return Comparison(round(score, 1), covers, contradicts)


def _words_contained(given: NameForm, register: NameForm) -> bool:
    return given.nospace in register.nospace or _words_all_there(given.full, register.full)


class CoverTest:
    """compare(given, name).covers without scoring the similarity, for one name given against many register names."""

    __slots__ = ("given", "_words", "_alike", "_clashes")

    def __init__(self, given: NameForm) -> None:
        self.given = given
        # Short words must be there as they are, the cheapest way to rule a name out, so they are tried first.
        self._words = sorted(zip(given.full.words, given.full.stems), key=lambda pair: len(pair[0]) >= 5)
        self._alike: dict[tuple[str, str], bool] = {}
        self._clashes: dict[tuple[frozenset[str], frozenset[str], frozenset[str]], bool] = {}

    def __call__(self, register: NameForm) -> bool:
        given = self.given
        if not given.core or not register.core:
            return False
        if given.nospace not in register.nospace:
            stems = register.full.stems
            for word, stem in self._words:
                if stem in stems:
                    continue
                if len(word) < 5 or not any(self._slip_apart(word, other) for other in register.full.words):
                    return False
        markers = (register.phases, register.faiths, register.sexes)
        clash = self._clashes.get(markers)
        if clash is None:
            clash = self._clashes[markers] = (
                _marker_penalty(given.phases, register.phases, UNSTATED_PHASE_PENALTY, _NEAR_PHASES)[1]
                or _marker_penalty(given.faiths, register.faiths, UNSTATED_FAITH_PENALTY)[1]
                or _marker_penalty(given.sexes, register.sexes, UNSTATED_SEX_PENALTY)[1])
        return not clash

    def _slip_apart(self, word: str, other: str) -> bool:
        alike = self._alike.get((word, other))
        if alike is None:
            alike = self._alike[(word, other)] = _slip_apart(word, other)
        return alike


# Scores below this are not told apart by score_ceilings(); every routing threshold is above it.
CEILING_FLOOR = 49.9
# compare() rounds its score to one decimal place, which can lift it this much above any ceiling.
CEILING_ROUNDING = 0.05
# Names with the same stems differ by at most one "s" in a word of four letters or more, so they share 6/7 of letters.
_SAME_STEMS_RATIO_FROM = 85.0


def score_ceilings(given: NameForm, registers: list[NameForm]) -> list[float]:
    """For each register name, a figure compare(given, name).score never exceeds by more than CEILING_ROUNDING.

    compare() takes as similarity the best of three ratios over the full and the short name (token_sort_ratio is
    ratio over sorted words), or 100/98 for the same letters/stems; the known-word cap only lowers it, and the score
    is that less the type words' penalty. A name under CEILING_FLOOR on every ratio is taken to be at CEILING_FLOOR:
    it cannot have the same stems.
    """
    if not given.core:
        return [0.0] * len(registers)
    ceilings = [CEILING_FLOOR] * len(registers)
    fulls = [form.full for form in registers]
    for query, choices in (
        (given.full.joined, [run.joined for run in fulls]),
        (given.full.sorted_joined, [run.sorted_joined for run in fulls]),
    ):
        for _choice, ratio, at in process.extract(query, choices, scorer=fuzz.ratio, limit=None,
                                                  score_cutoff=CEILING_FLOOR):
            if ratio > ceilings[at]:
                ceilings[at] = ratio
    stems = given.full.stems
    # Best first, so names that could have the same stems come first and the rest are passed over.
    for _choice, ratio, at in process.extract(given.full.nospace, [run.nospace for run in fulls], scorer=fuzz.ratio,
                                              limit=None, score_cutoff=CEILING_FLOOR):
        if ratio >= _SAME_STEMS_RATIO_FROM and ratio < 98.0 and fulls[at].stems == stems:
            ratio = 98.0
        if ratio > ceilings[at]:
            ceilings[at] = ratio
    penalties: dict[tuple[frozenset[str], frozenset[str], frozenset[str]], float] = {}
    word_count = len(given.full.words)
    for at, form in enumerate(registers):
        if len(form.full.words) == word_count:
            ceilings[at] = max(ceilings[at], slip_similarity(given.full, form.full))
        if form.short is not None:
            if len(form.short.words) == word_count:
                ceilings[at] = max(ceilings[at], slip_similarity(given.full, form.short))
            short = form.short
            ceilings[at] = max(ceilings[at], fuzz.ratio(given.full.joined, short.joined),
                               fuzz.ratio(given.full.sorted_joined, short.sorted_joined),
                               fuzz.ratio(given.full.nospace, short.nospace),
                               98.0 if short.stems == stems else 0.0)
        # The type words' penalty does not depend on the similarity, so it comes off the ceiling as it is.
        markers = (form.phases, form.faiths, form.sexes)
        penalty = penalties.get(markers)
        if penalty is None:
            penalty = penalties[markers] = _markers_penalty(given, form)
        if penalty:
            ceilings[at] = max(0.0, ceilings[at] - penalty)
    return ceilings


def _markers_penalty(given: NameForm, register: NameForm) -> float:
    return (_marker_penalty(given.phases, register.phases, UNSTATED_PHASE_PENALTY, _NEAR_PHASES)[0]
            + _marker_penalty(given.faiths, register.faiths, UNSTATED_FAITH_PENALTY)[0]
            + _marker_penalty(given.sexes, register.sexes, UNSTATED_SEX_PENALTY)[0])
