"""Hostile input corpus for the police API: each bad request gets a clear problem+json 4xx and stores nothing;
awkward but legitimate input (names in any script, HTML, SQL metacharacters, leap-day births) is stored as given."""

import copy
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from tests.builders import BRIMINGTON_JUNIOR, child_entry, dob, incident_body
from tests.reliability.incidents import stored_counts

SEED_REFERENCE = "DC-SEED-1"


@dataclass(frozen=True)
class Refused:
    """A request the API must refuse: its status, and the JSON pointers the problem must name (if any)."""

    name: str
    status: int
    pointers: tuple[str, ...] = ()
    body: Callable[[dict], dict] | None = None  # edits a valid incident (a correction of the seeded one)
    raw: bytes | Callable[[], object] | None = None  # sent as is, instead of a JSON body
    headers: dict[str, str] = field(default_factory=dict)


def edit(path: str, value) -> Callable[[dict], dict]:
    """A body edit setting one field, by a slash path like 'children/0/given_name'."""
    def apply(body: dict) -> dict:
        target = body
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
        for part in parents:
            target = target[part]
        target[last] = value
        return body

    return apply


def with_children(children: list[dict]) -> Callable[[dict], dict]:
    return lambda body: {**body, "children": children}


def raw_json(text: str) -> bytes:
    return text.encode()


def _deep_array(depth: int) -> bytes:
    return b'{"police_reference": "DC-SEED-1", "police_actions": ' + b"[" * depth + b"]" * depth + b"}"


def _chunks(total: int):
    """An oversize body sent without Content-Length, so only counting the bytes can catch it."""
    yield b'{"summary": "'
    for _ in range(total // 8192):
        yield b"x" * 8192
    yield b'"}'


TOMORROW_PLUS_A_MONTH = (date.today() + timedelta(days=30)).isoformat()
TWO_DAYS_AHEAD = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
LONG = "A" * 101

REFUSED = [
    # Size and shape of the body
    Refused("body over 64 KB", 413, body=edit("summary", "x" * 70_000)),
    Refused("body over 64 KB without Content-Length", 413, raw=lambda: _chunks(80_000)),
    Refused("deeply nested arrays (RecursionError in the JSON parser)", 400, raw=_deep_array(20_000)),
    Refused("nested arrays where a list of strings belongs", 422, ("/police_actions/0",), raw=_deep_array(300)),
    Refused("invalid UTF-8 in a name", 400, raw=b'{"police_reference": "DC-SEED-1", "summary": "caf\xe9 \xff\xfe"}'),
    Refused("overlong UTF-8 encoding of '/'", 400, raw=b'{"police_reference": "DC-SEED-1\xc0\xaf"}'),
    Refused("lone UTF-16 surrogate escape", 422, ("/children/0/given_name",), body=edit("children/0/given_name", "A\udc00")),
    Refused("not JSON at all", 422, ("",), raw=b"police_reference=DC-SEED-1&risk_level=high"),
    Refused("truncated JSON", 422, ("",), raw=b'{"police_reference": "DC-SEED-1", "children": ['),
    Refused("a JSON array, not an object", 422, ("",), raw=b"[]"),
    Refused("a JSON null", 422, ("",), raw=b"null"),
    Refused("sent as text/plain", 415, raw=b"{}", headers={"Content-Type": "text/plain"}),
    Refused("sent as a form", 415, raw=b"police_reference=x", headers={"Content-Type": "application/x-www-form-urlencoded"}),
    Refused("unknown field", 422, ("/children/0/favourite_colour",), body=edit("children/0/favourite_colour", "blue")),
    # Text fields
    Refused("given name over 100 characters", 422, ("/children/0/given_name",), body=edit("children/0/given_name", LONG)),
    Refused("family name of 10,000 characters", 422, ("/children/0/family_name",), body=edit("children/0/family_name", "B" * 10_000)),
    Refused("summary over 2,000 characters", 422, ("/summary",), body=edit("summary", "s" * 2001)),
    Refused("child's voice over 2,000 characters", 422, ("/children/0/child_voice",), body=edit("children/0/child_voice", "v" * 2001)),
    Refused("setting name over 200 characters", 422, ("/children/0/setting_name",), body=edit("children/0/setting_name", "S" * 201)),
    Refused("police action over 200 characters", 422, ("/police_actions/0",), body=edit("police_actions", ["p" * 201])),
    Refused("21 police actions", 422, ("/police_actions",), body=edit("police_actions", ["DASH"] * 21)),
    Refused("name of only whitespace", 422, ("/children/0/given_name",), body=edit("children/0/given_name", " \t\u3000 ")),
    Refused("name of only NEL and separators", 422, ("/children/0/family_name",), body=edit("children/0/family_name", "\x85\x1c\x1f")),
    Refused("NUL in a name", 422, ("/children/0/family_name",), body=edit("children/0/family_name", "Brookes\x00")),
    Refused("NUL in the summary", 422, ("/summary",), body=edit("summary", "before\x00after")),
    Refused("NUL in the child's voice", 422, ("/children/0/child_voice",), body=edit("children/0/child_voice", "\x00")),
    Refused("NUL in a police action", 422, ("/police_actions",), body=edit("police_actions", ["ok", "\x00"])),
    Refused("HTML in the police reference", 422, ("/police_reference",), body=edit("police_reference", "<script>alert(1)</script>")),
    Refused("SQL in the police reference", 422, ("/police_reference",), body=edit("police_reference", "DC-1'; DROP TABLE incident;--")),
    Refused("SQL in the home LA code", 422, ("/children/0/home_la_code",), body=edit("children/0/home_la_code", "830' OR '1'='1")),
    Refused("SQL in the setting URN", 422, ("/children/0/setting_urn",), body=edit("children/0/setting_urn", "1 OR 1=1")),
    # Dates
    Refused("date of birth in the future", 422, ("/children/0/date_of_birth",), body=edit("children/0/date_of_birth", TOMORROW_PLUS_A_MONTH)),
    Refused("date of birth after the incident", 422, ("/children/0/date_of_birth",),
            body=lambda b: edit("children/0/date_of_birth", (date.today() - timedelta(days=1)).isoformat())(
                edit("occurred_at", (datetime.now(UTC) - timedelta(days=10)).isoformat())(b))),
    Refused("30th of February", 422, ("/children/0/date_of_birth",), body=edit("children/0/date_of_birth", "2016-02-30")),
    Refused("29th of February in a common year", 422, ("/children/0/date_of_birth",), body=edit("children/0/date_of_birth", "2015-02-29")),
    Refused("date of birth as a number (a Unix time)", 422, ("/children/0/date_of_birth",), body=edit("children/0/date_of_birth", 1420070400)),
    Refused("date of birth as digits", 422, ("/children/0/date_of_birth",), body=edit("children/0/date_of_birth", "1420070400")),
    Refused("incident more than a day ahead", 422, ("/occurred_at",), body=edit("occurred_at", TWO_DAYS_AHEAD)),
    Refused("incident time without an offset", 422, ("/occurred_at",), body=edit("occurred_at", "2026-11-20T21:00:00")),
    Refused("incident time as a number", 422, ("/occurred_at",), body=edit("occurred_at", 1763672400)),
    # Children
    Refused("21 children", 422, ("/children",), body=with_children([child_entry(f"C{i}") for i in range(21)])),
    Refused("no children", 422, ("/children",), body=with_children([])),
    Refused("duplicate child_reference", 422, ("/children/1/child_reference",), body=with_children([child_entry("C1"), child_entry("C1")])),
    Refused("unknown education status", 422, ("/children/0/education_status",), body=edit("children/0/education_status", "at_the_beach")),
    Refused("spoken_to as 'yes'", 422, ("/children/0/spoken_to",), body=edit("children/0/spoken_to", "yes")),
    Refused("present_at_incident as 0", 422, ("/children/0/present_at_incident",), body=edit("children/0/present_at_incident", 0)),
    # Headers
    Refused("Idempotency-Key with a space", 422, ("/Idempotency-Key",), body=lambda b: b, headers={"Idempotency-Key": "key with space"}),
    Refused("Idempotency-Key of 201 characters", 422, ("/Idempotency-Key",), body=lambda b: b, headers={"Idempotency-Key": "k" * 201}),
]


@pytest.fixture
def seeded(client, police_key, engine):
    """One stored incident: every hostile case reuses its police reference, so acceptance would make a correction."""
    response = client.post("/api/v1/incidents", json=incident_body(reference=SEED_REFERENCE),
                           headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_hostile_request_is_refused_clearly_and_nothing_is_stored(client, police_key, engine, seeded, case):
    from service.notifications.models import Incident

    before = stored_counts(engine)
    headers = {"Authorization": f"Bearer {police_key}", **case.headers}
    if case.raw is not None:
        headers.setdefault("Content-Type", "application/json")
        content = case.raw() if callable(case.raw) else case.raw
        response = client.post("/api/v1/incidents", content=content, headers=headers)
    else:
        body = case.body(copy.deepcopy(incident_body(reference=SEED_REFERENCE, risk_level="high")))
        # json.dumps keeps a lone surrogate as its \u escape, which is how a hostile client would send it
        response = client.post("/api/v1/incidents", content=json.dumps(body).encode(),
                               headers={"Content-Type": "application/json", **headers})

    assert response.status_code == case.status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == case.status and problem["title"]
    pointers = {error["pointer"] for error in problem.get("errors") or []}
    assert set(case.pointers) <= pointers, problem
    assert stored_counts(engine) == before
    with engine.connect() as connection:
        seed = connection.execute(select(Incident.version, Incident.is_current).where(Incident.police_reference == SEED_REFERENCE)).all()
    assert [tuple(row) for row in seed] == [(1, True)], "a refused correction must leave the stored version current"


NAMES = [
    ("Siobhán", "Ní Bhriain"),
    ("Seán", "O'Connor-Smith"),
    ("Zoë", "Brontë"),
    ("Łukasz", "Wróblewski"),
    ("Nguyễn", "Thị Minh Khai"),
    ("محمد", "عبد الله"),
    ("伟", "张"),
    ("Сергей", "Иванов"),
    ("Ἀλέξανδρος", "Παπαδόπουλος"),
    ("José", unicodedata.normalize("NFD", "Gómez")),  # decomposed accents, as some systems send them
    ("Anne-Marie", "D'Arcy"),
    ("Kʻiana", "Ngā-Māhaki"),
    ("A", "B" * 100),  # the longest family name the contract allows
]


def test_names_in_any_script_are_stored_exactly_as_given(client, police_key, db):
    from service.notifications.models import Notification

    children = [child_entry(f"C{i}", given_name=given, family_name=family) for i, (given, family) in enumerate(NAMES)]
    response = client.post("/api/v1/incidents", json=incident_body(children=children), headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201, response.text
    stored = {n.child_reference: (n.given_name, n.family_name) for n in db.exec(select(Notification))}
    assert stored == {f"C{i}": name for i, name in enumerate(NAMES)}


HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;"\'</textarea>'
SQL = "Robert'); DROP TABLE notification;-- %_\\ \" OR '1'='1"


def hostile_text_incident(text: str) -> dict:
    """The same text in every free-text field the contract has."""
    child = child_entry("C1", given_name=text[:100], family_name=text[:100], setting_name=text[:200], child_voice=text)
    child["setting_urn"] = BRIMINGTON_JUNIOR
    return incident_body(summary=text, police_actions=[text[:200]], children=[{**child, "child_reference": text[:64]}])


@pytest.mark.parametrize("text", [HTML, SQL], ids=["html and script", "sql metacharacters"])
def test_markup_and_sql_in_free_text_are_stored_as_given(client, police_key, db, engine, text):
    from service.notifications.models import Incident, Notification

    response = client.post("/api/v1/incidents", json=hostile_text_incident(text), headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201, response.text
    [notification] = db.exec(select(Notification)).all()
    [incident] = db.exec(select(Incident)).all()
    assert (incident.summary, incident.police_actions) == (text, [text[:200]])
    assert (notification.given_name, notification.family_name, notification.child_voice, notification.setting_name_given,
            notification.child_reference) == (text[:100], text[:100], text, text[:200], text[:64])
    assert response.json()["notifications"][0]["child_reference"] == text[:64]
    assert stored_counts(engine).notifications == 1  # the tables are all still there


def test_child_over_18_is_accepted_but_not_routed(client, police_key, engine):
    body = incident_body(children=[child_entry(date_of_birth=dob(19))])
    response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201
    [notification] = response.json()["notifications"]
    assert (notification["routing"]["outcome"], notification["status"]) == ("not_routed", "closed")
    assert stored_counts(engine).outbox == 0, "nobody is alerted about a child outside the scheme"


def test_child_born_on_29th_february_is_accepted_with_the_right_age(client, police_key, db, onboard):
    from service.notifications.models import Notification

    onboard(BRIMINGTON_JUNIOR)
    born = date(2016, 2, 29)
    occurred = datetime.now(UTC) - timedelta(hours=8)
    body = incident_body(children=[child_entry(date_of_birth=born.isoformat())], occurred_at=occurred.isoformat())
    response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201, response.text
    [stored] = db.exec(select(Notification)).all()
    expected_age = occurred.year - 2016 - ((occurred.month, occurred.day) < (3, 1))
    assert (stored.date_of_birth, stored.age_at_incident) == (born, expected_age)
    if 7 <= expected_age <= 11:
        assert response.json()["notifications"][0]["routing"]["urn"] == BRIMINGTON_JUNIOR


def test_unknown_urn_goes_to_the_home_la_to_resolve(client, police_key, engine):
    body = incident_body(children=[child_entry(setting_urn="999999")])
    response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201
    [notification] = response.json()["notifications"]
    assert notification["routing"] | {"reason": ""} == {"outcome": "local_authority", "urn": None, "la_code": "830",
                                                         "method": "urn_unresolved", "reason": ""}
    assert stored_counts(engine).outbox == 1, "the LA is alerted so someone owns the child at once"


def test_largest_valid_incident_is_accepted_whole(client, police_key, engine):
    children = [child_entry(f"C{i:02d}", child_voice="v" * 2000, setting_name="S" * 200) for i in range(20)]
    body = incident_body(children=children, summary="s" * 2000, police_actions=["p" * 200] * 20)
    assert len(json.dumps(body).encode()) < 64 * 1024
    response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201, response.text[:300]
    assert stored_counts(engine).notifications == 20


@pytest.fixture
def key_adult_browser(client, make_user, sign_in):
    """The test client signed in as the Key Adult of Brimington Junior (which makes the school onboarded)."""
    user = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,), role="key_adult")
    sign_in(client, user)
    return client


def test_names_in_any_script_are_shown_as_given_on_the_key_adult_page(key_adult_browser, police_key):
    from bs4 import BeautifulSoup

    client = key_adult_browser
    children = [child_entry(f"C{i}", given_name=given, family_name=family) for i, (given, family) in enumerate(NAMES)]
    response = client.post("/api/v1/incidents", json=incident_body(children=children), headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201
    for notification in response.json()["notifications"]:
        assert notification["routing"]["urn"] == BRIMINGTON_JUNIOR
        given, family = NAMES[int(notification["child_reference"][1:])]
        page = client.get(f"/notifications/{notification['id']}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html; charset=utf-8")
        heading = BeautifulSoup(page.text, "html.parser").find("h1")
        assert heading.get_text(strip=True) == f"{given} {family}"


def test_markup_in_every_free_text_field_is_shown_escaped(key_adult_browser, police_key):
    from bs4 import BeautifulSoup

    client = key_adult_browser
    response = client.post("/api/v1/incidents", json=hostile_text_incident(HTML), headers={"Authorization": f"Bearer {police_key}"})
    [notification] = response.json()["notifications"]
    page = client.get(f"/notifications/{notification['id']}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert not soup.find_all(attrs={"onerror": True})
    assert all("alert" not in (script.string or "") for script in soup.find_all("script"))
    for element_id, shown in (("child-name", f"{HTML[:100]} {HTML[:100]}"), ("summary", HTML), ("child-voice", HTML),
                              ("police-actions", HTML[:200])):
        element = soup.find(id=element_id)
        assert element is not None, element_id
        assert shown in element.get_text(), element_id


def test_markup_is_shown_escaped_on_the_la_officers_page_too(client, police_key, make_user, sign_in):
    from bs4 import BeautifulSoup

    body = hostile_text_incident(HTML)
    body["children"][0].update(education_status="missing_education", setting_urn=None)
    [notification] = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"}).json()["notifications"]
    assert notification["routing"]["outcome"] == "local_authority"
    sign_in(client, make_user("la_officer", la_codes=("830",)))
    page = client.get(f"/la/notifications/{notification['id']}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert not soup.find_all(attrs={"onerror": True})
    assert f"{HTML[:100]} {HTML[:100]}" in soup.get_text(), "the name is shown, as text"
