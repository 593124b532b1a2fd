"""Small hand-built registers for routing tests: each setting is there to exercise one rule."""

from service.register.records import SettingLink, SettingRecord
from service.routing import RegisterIndex

HOME_LA = "830"
FORCE_NEIGHBOUR_LA = "831"
OUTSIDE_FORCE_LA = "840"


def setting(urn, name, la_code=HOME_LA, ages=(4, 11), status="Open") -> SettingRecord:
    return SettingRecord(urn=urn, name=name, la_code=la_code, la_name=f"LA {la_code}", type_name="Community school",
                         status=status, phase="Primary", low_age=ages[0] if ages else None,
                         high_age=ages[1] if ages else None, postcode=None, open_date=None, close_date=None)


def successor(before, after, link_type="Successor") -> SettingLink:
    return SettingLink(urn=before, link_urn=after, link_type=link_type, established=None)


SETTINGS = [
    setting("100001", "Oakfield Primary School"),
    setting("100002", "Meadow Infant School", ages=(4, 7)),
    setting("100003", "Meadow Junior School", ages=(7, 11)),
    setting("100004", "St Mary's Church of England Primary School"),
    setting("100005", "St Mary's Catholic Primary School"),
    setting("100006", "Highfield Academy", ages=(11, 16)),
    setting("100007", "Old Mill Infant School", ages=None, status="Closed"),
    setting("100008", "Brookside Primary Academy"),
    setting("100009", "Ashdown School", status="Closed"),
    setting("100010", "Twin Oaks School", status="Closed"),
    setting("100011", "Twin Oaks North Academy"),
    setting("100012", "Twin Oaks South Academy"),
    setting("100013", "Chain Lane First School", status="Closed"),
    setting("100014", "Chain Lane Primary School", status="Closed"),
    setting("100015", "Chainbridge Academy"),
    setting("100016", "Riverside Primary School", la_code=FORCE_NEIGHBOUR_LA),
    setting("100017", "Oakfield Primary School", la_code=OUTSIDE_FORCE_LA),
    setting("100018", "Little Acorns Nursery School", ages=(2, 4)),
    setting("100019", "Hillcrest Primary School"),
    setting("100020", "Kingsway Primary School"),
    setting("100021", "Kingsway Primary School", la_code=FORCE_NEIGHBOUR_LA),
    setting("100022", "Redhall Primary School"),
    setting("100023", "Redhill Primary School", la_code=OUTSIDE_FORCE_LA),
    setting("100024", "Thornbury Primary School"),
    setting("100025", "Loop One School", status="Closed"),
    setting("100026", "Loop Two School", status="Closed"),
    setting("100027", "Westfield Primary School, Hilltown"),
    setting("100028", "Westfield Primary School, Dale End"),
]
LINKS = [
    successor("100007", "100008"),
    successor("100008", "100007", "Predecessor"),
    successor("100009", "100023", "Predecessor"),
    successor("100010", "100011", "Successor - Split School"),
    successor("100010", "100012", "Successor - Split School"),
    successor("100013", "100014"),
    successor("100014", "100015", "Successor - merged"),
    successor("100025", "100026"),
    successor("100026", "100025"),
]


def small_register() -> RegisterIndex:
    return RegisterIndex.build(SETTINGS, LINKS)
