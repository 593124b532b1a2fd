"""LA holidays for tests: none unless a test sets one, so the suite answers the same in December as in November."""

from datetime import datetime, timedelta

from sqlmodel import select

from service.deadlines.calendar import LONDON
from service.localauthorities.models import LocalAuthority


def term_time_all_year(db) -> None:
    """Clears the holidays the shipped LA configuration brings (Derbyshire's Christmas comes with holiday cover)."""
    for authority in db.exec(select(LocalAuthority)):
        authority.holidays = []
        db.add(authority)


def close_schools_for_holiday(db, la_code: str, *, cover: bool) -> None:
    """The LA's schools are on holiday from three days ago for a month, with or without a holiday cover team."""
    today = datetime.now(LONDON).date()
    authority = db.get(LocalAuthority, la_code)
    authority.holidays = [{"name": "Test holiday", "first_day": (today - timedelta(days=3)).isoformat(),
                           "last_day": (today + timedelta(days=30)).isoformat()}]
    authority.holiday_cover = cover
    authority.holiday_cover_contact = f"{authority.name} holiday cover team" if cover else None
    db.add(authority)
    db.commit()
