"""Guessing the second factor (or the password) from many addresses meets growing waits, but never a locked account."""

from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from fastapi.testclient import TestClient

from service.accounts.service import totp_secret_of
from tests.conftest import PORTAL_PASSWORD, csrf_token_in

MORNING = datetime(2026, 11, 24, 8, 0, 10, tzinfo=UTC)


def _browser(app, address: str) -> TestClient:
    return TestClient(app, base_url="https://encompass.test", client=(address, 50000))


def _password(browser, email: str, password: str = PORTAL_PASSWORD):
    page = browser.get("/sign-in")
    return browser.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token_in(page.text)},
                        follow_redirects=False)


def _code(browser, code: str):
    page = browser.get("/sign-in/two-factor")
    return browser.post("/sign-in/two-factor", data={"code": code, "csrf_token": csrf_token_in(page.text)}, follow_redirects=False)


def _codes_around(user, moment: datetime) -> set[str]:
    totp = pyotp.TOTP(totp_secret_of(user))
    return {totp.at(moment + timedelta(seconds=30 * step)) for step in (-1, 0, 1)}


def test_sixty_wrong_codes_from_twelve_addresses_with_correct_passwords_between_meet_a_429(app, db, make_user):
    key_adult = make_user("setting_staff", urns=("112517",))
    wrong = next(code for code in (f"{n:06d}" for n in range(10)) if code not in _codes_around(key_adult, MORNING))
    answers = []
    with time_machine.travel(MORNING, tick=False):
        for n in range(12):
            with _browser(app, f"198.51.100.{n + 1}") as attacker:
                # Knows the password: each correct password used to wipe the count of wrong codes.
                assert _password(attacker, key_adult.email).headers["location"] == "/sign-in/two-factor"
                for _ in range(5):
                    answer = _code(attacker, wrong)
                    answers.append(answer)
                    if answer.status_code == 303:  # five wrong codes end the half-signed-in session
                        break

    throttled = [answer for answer in answers if answer.status_code == 429]
    assert throttled, f"no 429 in {len(answers)} wrong codes: {sorted({a.status_code for a in answers})}"
    assert "Too many attempts" in throttled[0].text
    assert 1 <= int(throttled[0].headers["Retry-After"]) <= 15 * 60
    assert sum(answer.status_code != 429 for answer in answers) < 60, "the waits cut the guesses short"


def test_code_waits_grow_to_fifteen_minutes_and_no_further_and_the_real_user_still_gets_in(app, db, make_user):
    from service.accounts.throttle import ACCOUNT_CODE_RULE, wait_after

    assert wait_after(ACCOUNT_CODE_RULE.free_failures, ACCOUNT_CODE_RULE) == timedelta(0)
    assert wait_after(ACCOUNT_CODE_RULE.free_failures + 3, ACCOUNT_CODE_RULE) == timedelta(seconds=4)
    assert wait_after(10_000, ACCOUNT_CODE_RULE) == timedelta(minutes=15)

    key_adult = make_user("setting_staff", urns=("112517",))
    with time_machine.travel(MORNING, tick=False) as traveller:
        wrong = next(code for code in (f"{n:06d}" for n in range(10)) if code not in _codes_around(key_adult, MORNING))
        for n in range(40):
            with _browser(app, f"198.51.100.{n + 1}") as attacker:
                _password(attacker, key_adult.email)
                if _code(attacker, wrong).status_code == 429:
                    break
        traveller.shift(timedelta(minutes=15, seconds=1))
        with _browser(app, "203.0.113.20") as school:
            assert _password(school, key_adult.email).headers["location"] == "/sign-in/two-factor"
            right = pyotp.TOTP(totp_secret_of(key_adult)).now()
            assert _code(school, right).headers["location"] == "/notifications", "never locked out"


def test_wrong_passwords_for_one_account_from_many_addresses_meet_a_short_wait(app, db, make_user):
    key_adult = make_user("setting_staff", urns=("112517",))
    with time_machine.travel(MORNING, tick=False) as traveller:
        statuses = []
        for n in range(30):  # one guess per address: neither the (email, address) nor the address count notices
            with _browser(app, f"192.0.2.{n + 1}") as sprayer:
                answer = _password(sprayer, key_adult.email, password=f"guess number {n} for you")
                statuses.append(answer.status_code)
                if answer.status_code == 429:
                    assert int(answer.headers["Retry-After"]) <= 30, "soft: never more than half a minute"
        assert 429 in statuses
        traveller.shift(timedelta(seconds=31))
        with _browser(app, "203.0.113.20") as school:
            assert _password(school, key_adult.email).headers["location"] == "/sign-in/two-factor"
