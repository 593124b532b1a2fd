"""Local guidance: an LA adds its own practice and services for its Key Adults, after the national guidance, never
instead of it. Checked the same way from the TOML file and from the LA officer's form."""

import pytest
from sqlmodel import select

from service.audit.models import AuditEvent
from service.localauthorities import local_guidance
from service.localauthorities.models import LocalAuthority
from service.localauthorities.service import parse_config
from tests.builders import BRIMINGTON_JUNIOR
from tests.keyadult.conftest import soup_of, text_of


@pytest.fixture
def key_adult_of(make_user):
    return lambda urn: make_user("setting_staff", urns=(urn,), role="key_adult", display_name="Sam Key Adult")

LOCAL_ADVICE = "In Derbyshire, talk to Starting Point before you contact a parent or carer about anything to do with home."
SERVICE = {"name": "Derbyshire Domestic Abuse Support Line", "phone": "08000 198 668", "url": "https://www.derbyshire.example.gov.uk/da"}

TOML = """
[[local_authority]]
code = "830"
name = "Derbyshire"
local_guidance = [{paragraphs}]
{services}
"""


def _toml(paragraphs: str = "", services: str = "") -> str:
    return TOML.format(paragraphs=paragraphs, services=services)


def test_the_configuration_file_carries_local_guidance_and_services():
    [derbyshire] = parse_config(_toml(
        f'"{LOCAL_ADVICE}", "  "',
        '[[local_authority.local_services]]\nname = "Support Line"\nphone = "08000 198 668"\n'))
    assert derbyshire["local_guidance"] == [LOCAL_ADVICE], "blank paragraphs are dropped"
    assert derbyshire["local_services"] == [{"name": "Support Line", "phone": "08000 198 668", "url": None}]


@pytest.mark.parametrize(("paragraphs", "services", "message"), [
    ('"' + "x" * 601 + '"', "", "600 characters or fewer"),
    (", ".join(['"p"'] * 6), "", "5 paragraphs or fewer"),
    ("", '[[local_authority.local_services]]\nname = "No way to reach it"\n', "phone number or a web address"),
    ("", '[[local_authority.local_services]]\nname = "Line"\nurl = "http://plain.example"\n', "starting with https://"),
    ("", '[[local_authority.local_services]]\nname = "Line"\nphone = "call us"\n', "numbers, spaces and brackets"),
    ("", '[[local_authority.local_services]]\nname = "Line"\nphone = "0800 000 000"\nemail = "a@b.c"\n', "unknown keys email"),
])
def test_a_configuration_file_breaking_a_limit_is_refused_with_the_la_named(paragraphs, services, message):
    with pytest.raises(ValueError, match="local_authority 830") as refused:
        parse_config(_toml(paragraphs, services))
    assert message in str(refused.value)


def test_the_form_reads_paragraphs_between_blank_lines_and_skips_empty_service_rows():
    paragraphs, services, errors = local_guidance.parse_form({
        "local_guidance": "First paragraph.\r\nStill the first.\r\n\r\n\r\nSecond paragraph.\x07",
        "service-1-name": "", "service-1-phone": "", "service-1-url": "",
        "service-2-name": " Line ", "service-2-phone": "0800 000 000", "service-2-url": "",
    })
    assert errors == {}
    assert paragraphs == ["First paragraph.\nStill the first.", "Second paragraph."]
    assert services == [{"name": "Line", "phone": "0800 000 000", "url": None}]


def test_form_errors_point_at_the_row_the_officer_typed_in_and_follow_the_form_order():
    _paragraphs, _services, errors = local_guidance.parse_form({
        "local_guidance": "y" * 700,
        "service-3-name": "", "service-3-phone": "0800 000 000",
        "service-2-name": "Line", "service-2-url": "www.example.org",
    })
    assert list(errors) == ["local_guidance", "service-2-url", "service-3-name"]
    assert "local service 3" in errors["service-3-name"]
    assert "(it has 700)" in errors["local_guidance"]


def test_officer_saves_local_guidance_and_key_adults_see_it_after_the_national_points(
        forces, officer_client, form_token, check_page, db, post_incident, key_adult_of, sign_in):
    client, user = officer_client("830")
    page = client.get("/la/authorities/830/local-guidance")
    check_page(page)
    bad = client.post("/la/authorities/830/local-guidance", data={
        "csrf_token": form_token(page, "local-guidance-form"), "local_guidance": LOCAL_ADVICE,
        "service-1-name": SERVICE["name"], "service-1-url": "derbyshire.gov.uk"})
    assert bad.status_code == 400
    assert [a["href"] for a in check_page(bad).select(".govuk-error-summary a")] == ["#service-1-url"]
    assert soup_of(bad).find("textarea", id="local_guidance").get_text().strip() == LOCAL_ADVICE, "nothing typed is lost"

    saved = client.post("/la/authorities/830/local-guidance", data={
        "csrf_token": form_token(page, "local-guidance-form"),
        "local_guidance": LOCAL_ADVICE + "\n\n<script>alert(1)</script> Call <b>us</b>.",
        **{f"service-1-{field}": value for field, value in SERVICE.items()}}, follow_redirects=False)
    assert saved.status_code == 303
    db.expire_all()
    authority = db.get(LocalAuthority, "830")
    assert authority.local_guidance == [LOCAL_ADVICE, "<script>alert(1)</script> Call <b>us</b>."]
    assert authority.local_services == [SERVICE]
    [audit] = db.exec(select(AuditEvent).where(AuditEvent.action == "local_authority.configured")).all()
    assert audit.actor_id == str(user.id) and audit.detail["fields"] == ["local_guidance", "local_services"]
    assert client.get("/la/authorities/891/local-guidance").status_code == 404, "only the officer's own LA"

    client.cookies.clear()  # the officer leaves; a Key Adult in Derbyshire signs in
    sign_in(client, key_adult_of(BRIMINGTON_JUNIOR))
    [notification] = post_incident()
    notification_id = notification["id"]
    guidance = soup_of(client.get(f"/notifications/{notification_id}")).find("main")
    local = guidance.find(id="local-guidance")
    assert text_of(local.find("h3")) == "Local guidance from Derbyshire"
    assert LOCAL_ADVICE in text_of(local)
    assert local.find("script") is None and local.find("b") is None, "an LA's text is shown as typed, never as markup"
    assert "<script>alert(1)</script>" in text_of(local)
    assert local.find("a", href="tel:08000198668") is not None
    assert local.find("a", href=SERVICE["url"]) is not None
    # After every national point: nothing local comes before the 999 line or "do not ask".
    order = [element.get("id") for element in guidance.find_all(id=True)]
    for national in ("emergency", "do-not-ask", "watch-for", "support", "if-worried", "helpline"):
        assert order.index(national) < order.index("local-guidance"), national


def test_a_key_adult_in_an_la_without_local_guidance_sees_no_empty_section(client, forces, post_incident, key_adult_of, sign_in):
    sign_in(client, key_adult_of(BRIMINGTON_JUNIOR))
    [notification] = post_incident()
    notification_id = notification["id"]
    page = soup_of(client.get(f"/notifications/{notification_id}"))
    assert page.find(id="more-guidance") is not None and page.find(id="local-guidance") is None
