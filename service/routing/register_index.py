"""An in-memory index of the register for routing: settings by URN, successor chains, and names by word and LA."""

from collections import defaultdict
from functools import lru_cache, partial
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from service.register.records import SettingLink, SettingRecord
from service.routing.candidate import Candidate
from service.routing.names import CoverTest, NameForm, compare, mend_given_name, name_form, score_ceilings, word_stem

# Successor chains longer than this are data loops or history too old to trust.
MAX_SUCCESSOR_HOPS = 4
# Words shorter than this are looked up exactly; longer ones also through their one-letter deletions (typos).
_FUZZY_LOOKUP_FROM = 4
# Words this long may be two slips apart (names.words_alike), which one-letter deletions do not find.
_TWO_SLIPS_FROM = 9


@dataclass(frozen=True, slots=True)
class _NameEntry:
    """One name a family may use for a setting: its own name, or the name of a closed setting it took over from."""

    named_urn: str
    named: str
    la_code: str
    form: NameForm
    target: SettingRecord  # the open setting a child with this name should reach

    @property
    def is_old_name(self) -> bool:
        return self.named_urn != self.target.urn


@dataclass(frozen=True, slots=True)
class NameMatch:
    target: SettingRecord
    named_urn: str  # the setting whose name matched (a closed predecessor when via_old_name)
    named: str
    named_la_code: str  # where that name is on the register: the LA a family would know it in
    score: float
    covers: bool
    contradicts: bool

    @property
    def via_old_name(self) -> bool:
        return self.named_urn != self.target.urn


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _read_given_name(known_words: set[str], name: str) -> NameForm:
    """A name given at the scene, read as the register's names are, with slips in its type words mended."""
    return name_form(mend_given_name(name, known_words))


class RegisterIndex:
    def __init__(self, settings: dict[str, SettingRecord], successors: dict[str, tuple[str, ...]]) -> None:
        self._settings = settings
        self._successors = successors
        self._entries: list[_NameEntry] = []
        # word -> LA code -> entry positions; restricting by LA first keeps each lookup to a few dozen names.
        self._postings: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._typo_keys: dict[str, tuple[str, ...]] = {}  # a word or one of its one-letter deletions -> register words
        self.known_words: set[str] = set()
        self._build_names()
        # Police send the same few names for every child of a family; reading a name costs more than scoring it.
        # The cache holds the register's words, not the index: a cache of a bound method would make the index a
        # reference cycle, which only the garbage collector frees (and never, once the index is frozen out of it).
        self.given_form = lru_cache(maxsize=4096)(partial(_read_given_name, self.known_words))

    @classmethod
    def build(cls, settings: Iterable[SettingRecord], links: Iterable[SettingLink]) -> "RegisterIndex":
        # Row problems from the GIAS reader are skipped, so read_establishments() can be passed straight in.
        by_urn = {s.urn: s for s in settings if isinstance(s, SettingRecord)}
        successors: dict[str, list[str]] = defaultdict(list)
        for link in links:
            if isinstance(link, SettingLink) and link.is_successor and link.urn in by_urn and link.link_urn in by_urn and link.link_urn != link.urn:
                if link.link_urn not in successors[link.urn]:
                    successors[link.urn].append(link.link_urn)
        return cls(by_urn, {urn: tuple(after) for urn, after in successors.items()})

    def __len__(self) -> int:
        return len(self._settings)

    def get(self, urn: str | None) -> SettingRecord | None:
        return self._settings.get(urn) if urn else None

    def open_successors(self, urn: str) -> list[SettingRecord]:
        """The open settings a closed setting's successor links lead to, following closed successors a few hops."""
        found: dict[str, SettingRecord] = {}
        seen = {urn}
        frontier = [urn]
        for _hop in range(MAX_SUCCESSOR_HOPS):
            following = []
            for current in frontier:
                for after_urn in self._successors.get(current, ()):
                    if after_urn in seen:
                        continue
                    seen.add(after_urn)
                    after = self._settings[after_urn]
                    if after.is_open:
                        found[after.urn] = after
                    else:
                        following.append(after_urn)
            frontier = following
        return list(found.values())

    def open_successor(self, urn: str) -> SettingRecord | None:
        """The single open setting that took over from a closed one; None when there is none or more than one."""
        successors = self.open_successors(urn)
        return successors[0] if len(successors) == 1 else None

    def _build_names(self) -> None:
        for setting in self._settings.values():
            form = name_form(setting.name)
            self.known_words.update(form.core)
            if setting.is_open:
                self._add_name(_NameEntry(setting.urn, setting.name, setting.la_code, form, setting))
            else:
                successor = self.open_successor(setting.urn)
                if successor is not None:
                    self._add_name(_NameEntry(setting.urn, setting.name, setting.la_code, form, successor))
        # Built as growable lists, kept as tuples: less memory for the same lookups (issue 17).
        self._postings = {word: {la_code: tuple(found) for la_code, found in by_la.items()}
                          for word, by_la in self._postings.items()}
        self.known_words = frozenset(self.known_words)
        self.la_codes = tuple(sorted({s.la_code for s in self._settings.values()}))
        self.towns = frozenset(s.town.casefold() for s in self._settings.values() if s.town)

    def _add_name(self, entry: _NameEntry) -> None:
        position = len(self._entries)
        self._entries.append(entry)
        words = set(entry.form.core)
        # "Oak Field" and "Oakfield" are one name: index the joined pairs too.
        words.update(a + b for a, b in zip(entry.form.core, entry.form.core[1:]))
        typo_keys = self._typo_keys
        for word in words:
            self._postings[word][entry.la_code].append(position)
            for key in (word, *(_deletions(word) if len(word) >= _FUZZY_LOOKUP_FROM else ())):
                # Tuples from the start (most keys lead to one word): sets would double the build's peak memory.
                known = typo_keys.get(key, ())
                if word not in known:
                    typo_keys[key] = (*known, word)

    def _register_words_like(self, word: str) -> set[str]:
        keys = {word} | (_deletions(word) if len(word) >= _FUZZY_LOOKUP_FROM else set())
        if len(word) >= _TWO_SLIPS_FROM:
            # Long words may be two slips from a register word (names.words_alike): deletions of deletions find them.
            keys |= {key for once in list(keys) for key in _deletions(once)}
        found: set[str] = set()
        typo_keys = self._typo_keys
        for key in keys:
            found.update(typo_keys.get(key, ()))
        stem = word_stem(word)
        if stem != word and stem in typo_keys.get(stem, ()):
            found.add(stem)
        return found

    def _lookup_words(self, form: NameForm) -> dict[str, int]:
        """Each word to look up, with how many of the given words a hit on it stands for."""
        words = {word: 1 for word in form.core}
        for a, b in zip(form.core, form.core[1:]):
            words[a + b] = 2
        if len(form.core) > 2:
            words[form.nospace] = len(form.core)
        # "st" is in thousands of names and narrows nothing when another word was given.
        if len(words) > 1:
            words.pop("st", None)
        return words

    def name_hits(self, name: str, la_codes: Sequence[str]) -> "NameHits":
        """The name entries in the given LAs sharing enough words (or near misses of them) with the name, unscored."""
        form = self.given_form(name)
        if not form.core:
            return NameHits(form, [], self.known_words, [], [])
        lookups = self._lookup_words(form)
        wanted_las = frozenset(la_codes)
        hits: dict[int, int] = defaultdict(int)
        # Where each given word of under 9 letters was found: a name without one of them cannot contain the name
        # given word by word, as those words are only ever matched by stem or one slip, which the lookup finds.
        found_words: list[set[int]] = []
        for word, weight in lookups.items():
            positions: set[int] = set()
            if weight == 1 and len(word) < _TWO_SLIPS_FROM:
                found_words.append(positions)
            for register_word in self._register_words_like(word):
                by_la = self._postings.get(register_word)
                if not by_la:
                    continue
                if len(by_la) < len(wanted_las):
                    for la_code, found in by_la.items():
                        if la_code in wanted_las:
                            positions.update(found)
                else:
                    for la_code in wanted_las:
                        positions.update(by_la.get(la_code, ()))
            for position in positions:
                hits[position] += weight
        # A name sharing under half the words given cannot score near a confident match nor contain the name given,
        # so it cannot be the setting or a rival to it; skipping it keeps common words ("Park", "Hill") cheap.
        needed = max(1, (len([w for w in form.core if w != "st"]) + 1) // 2)
        positions = [position for position, count in hits.items() if count >= needed]
        entries = self._entries
        return NameHits(form, [entries[position] for position in positions], self.known_words, positions, found_words)

    def score_name(self, name: str, la_codes: Sequence[str]) -> list[NameMatch]:
        """Every name entry in the given LAs sharing enough words (or near misses of them) with the name, scored."""
        found = self.name_hits(name, la_codes)
        return sort_matches([found.match(at) for at in range(len(found))])

    def match_name(self, name: str, la_codes: Sequence[str], child_age: int | None, limit: int = 5) -> list[Candidate]:
        """Open settings (reached directly or through an old name) that fit the name and the child's age, best first."""
        best: dict[str, Candidate] = {}
        for match in self.score_name(name, la_codes):
            if match.target.urn in best or not match.target.takes_age(child_age):
                continue
            best[match.target.urn] = Candidate(match.target.urn, match.target.name, match.target.la_code, match.score)
            if len(best) >= limit:
                break
        return list(best.values())


def sort_matches(matches: list[NameMatch]) -> list[NameMatch]:
    """Best first; a setting's own name before an old one at the same score, then by URN so the order is stable."""
    matches.sort(key=lambda m: (-m.score, m.via_old_name, m.target.urn))
    return matches


class NameHits:
    """Names that share words with the name given, compared one by one on request: comparing is most of the cost."""

    __slots__ = ("form", "entries", "_known_words", "_positions", "_found_words")

    def __init__(self, form: NameForm, entries: list[_NameEntry], known_words: set[str], positions: list[int],
                 found_words: list[set[int]]) -> None:
        self.form = form
        self.entries = entries
        self._known_words = known_words
        self._positions = positions  # each entry's place in the index
        self._found_words = found_words  # per given word looked up: the index places of names it was found in

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, at: int) -> NameMatch:
        entry = self.entries[at]
        comparison = compare(self.form, entry.form, self._known_words)
        return NameMatch(entry.target, entry.named_urn, entry.named, entry.la_code, comparison.score,
                         comparison.covers, comparison.contradicts)

    def covering(self, ats: Iterable[int]) -> list[int]:
        """Those of the given hits whose match() covers the name given, without the cost of scoring."""
        test = CoverTest(self.form)
        letters = self.form.nospace
        found_words = self._found_words
        covering = []
        for at in ats:
            position = self._positions[at]
            form = self.entries[at].form
            if (letters in form.nospace or all(position in found for found in found_words)) and test(form):
                covering.append(at)
        return covering

    def ceilings(self) -> list[float]:
        """For each hit, a score its match() never exceeds by more than names.CEILING_ROUNDING."""
        return score_ceilings(self.form, [entry.form for entry in self.entries])
