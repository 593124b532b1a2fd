"""The LA officer's register search: the routing index and normaliser, ranked by score, home LA first."""

from dataclasses import dataclass

from service.register.records import SettingRecord
from service.routing.register_index import RegisterIndex

# Where a setting sits relative to the child, in the order an officer looks.
HOME_LA, FORCE_LA, ENGLAND = 0, 1, 2
WHERE = {HOME_LA: "the child's home local authority", FORCE_LA: "another of the force's local authorities",
         ENGLAND: "elsewhere in England"}
# Below this a name shares a word at most; the officer would not pick it out of a list.
SEARCH_FLOOR = 70.0
RESULTS_SHOWN = 20
_LONGEST_TOWN = 3  # words


@dataclass(frozen=True, slots=True)
class RegisterHit:
    setting: SettingRecord
    score: float
    where: int  # HOME_LA, FORCE_LA or ENGLAND

    @property
    def where_text(self) -> str:
        return WHERE[self.where]

    @property
    def postcode_district(self) -> str:
        return (self.setting.postcode or "").split(" ")[0]

    @property
    def age_range(self) -> str:
        low, high = self.setting.low_age, self.setting.high_age
        return f"{low} to {high}" if low is not None and high is not None else "Not recorded"


def _where(la_code: str, home_la: str | None, force_la_codes: tuple[str, ...]) -> int:
    if la_code == home_la:
        return HOME_LA
    return FORCE_LA if la_code in force_la_codes else ENGLAND


def _name_and_town(index: RegisterIndex, text: str) -> list[tuple[str, str | None]]:
    """Readings of the text: the whole of it as a name, and a name followed by a town ("St Anne's Baslow")."""
    words = text.split()
    readings: list[tuple[str, str | None]] = []
    for size in range(min(_LONGEST_TOWN, len(words) - 1), 0, -1):
        town = " ".join(words[-size:]).casefold()
        if town in index.towns:
            readings.append((" ".join(words[:-size]), town))
    readings.append((text, None))
    return readings


def search_register(index: RegisterIndex, text: str, *, child_age: int | None, home_la: str | None,
                    force_la_codes: tuple[str, ...] = (), limit: int = RESULTS_SHOWN) -> list[RegisterHit]:
    """Open settings the text could mean for a child of this age, home LA first, then the force's, then England.

    A URN finds that setting whatever its age range, so an officer who knows it is never stopped here.
    """
    text = " ".join((text or "").split())[:100]
    if text.isdigit():
        setting = index.get(text)
        if setting is None:
            return []
        return [RegisterHit(setting, 100.0, _where(setting.la_code, home_la, force_la_codes))]
    if len(text) < 2:
        return []
    best: dict[str, RegisterHit] = {}
    for name, town in _name_and_town(index, text):
        if not index.given_form(name).core:
            continue
        for match in index.score_name(name, index.la_codes):
            setting = match.target
            if town is not None and (setting.town or "").casefold() != town:
                continue
            if not setting.takes_age(child_age) or (match.score < SEARCH_FLOOR and not match.covers):
                continue
            if setting.urn not in best or match.score > best[setting.urn].score:
                best[setting.urn] = RegisterHit(setting, match.score, _where(setting.la_code, home_la, force_la_codes))
        if best and town is not None:
            break  # the name in that town was found: the wider reading would only bury it
    ranked = sorted(best.values(), key=lambda hit: (hit.where, -hit.score, hit.setting.name, hit.setting.urn))
    return ranked[:limit]
