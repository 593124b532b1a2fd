"""A Key Adult back from the holiday sees that the LA's holiday cover team was told while the school was closed."""

from bs4 import BeautifulSoup
from sqlmodel import select

from service.notifications.models import Notification
from tests.builders import BRIMINGTON_JUNIOR, child_entry
from tests.school_holidays import close_schools_for_holiday

COVER_LINE = "Your local authority's holiday cover team was told about this while the school was closed."


def _page_text(client, db) -> str:
    notification_id = db.exec(select(Notification.id)).one()
    response = client.get(f"/notifications/{notification_id}")
    assert response.status_code == 200
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True).split())


def test_the_page_says_the_cover_team_was_told(client, db, forces, make_user, sign_in, post_incident):
    close_schools_for_holiday(db, "830", cover=True)
    user = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], role="key_adult")
    post_incident(child_entry())
    sign_in(client, user)
    assert COVER_LINE in _page_text(client, db)


def test_no_such_line_when_nobody_covered_the_holiday(client, db, forces, make_user, sign_in, post_incident):
    close_schools_for_holiday(db, "830", cover=False)
    user = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], role="key_adult")
    post_incident(child_entry())
    sign_in(client, user)
    assert "holiday cover" not in _page_text(client, db)
