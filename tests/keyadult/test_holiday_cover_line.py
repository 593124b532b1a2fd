"""A Key Adult back from the holiday sees that the LA's holiday cover team was told while the school was closed."""

from datetime import datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from service.deadlines.calendar import LONDON
from service.localauthorities.models import LocalAuthority
from service.notifications.models import Notification
from tests.builders import BRIMINGTON_JUNIOR, child_entry

COVER_LINE = "Your local authority's holiday cover team was told about this while the school was closed."


def _set_holiday(db, *, cover: bool) -> None:
    today = datetime.now(LONDON).date()
    authority = db.get(LocalAuthority, "830")
    authority.holidays = [{"name": "Test holiday", "first_day": (today - timedelta(days=3)).isoformat(),
                           "last_day": (today + timedelta(days=30)).isoformat()}]
    authority.holiday_cover, authority.holiday_cover_contact = cover, "Derbyshire holiday cover team" if cover else None
    db.add(authority)
    db.commit()


def _page_text(client, db) -> str:
    notification_id = db.exec(select(Notification.id)).one()
    response = client.get(f"/notifications/{notification_id}")
    assert response.status_code == 200
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True).split())


def test_the_page_says_the_cover_team_was_told(client, db, forces, make_user, sign_in, post_incident):
    _set_holiday(db, cover=True)
    user = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], role="key_adult")
    post_incident(child_entry())
    sign_in(client, user)
    assert COVER_LINE in _page_text(client, db)


def test_no_such_line_when_nobody_covered_the_holiday(client, db, forces, make_user, sign_in, post_incident):
    _set_holiday(db, cover=False)
    user = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], role="key_adult")
    post_incident(child_entry())
    sign_in(client, user)
    assert "holiday cover" not in _page_text(client, db)
