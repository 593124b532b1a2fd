"""Password guessing is slowed down, but the real user can always still sign in from their own computer."""

from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient

from service.accounts.throttle import PAIR_RULE, ThrottleRule, wait_after

MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _client(app, address: str) -> TestClient:
    return TestClient(app, base_url="https://encompass.test", client=(address, 50000))


def _try(client, csrf_from, email, password):
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_from(page)}, follow_redirects=False)


def test_waits_grow_from_nothing_to_a_few_minutes_and_stop_there():
    rule = ThrottleRule(free_failures=5, longest_wait=timedelta(minutes=5), forget_after=timedelta(minutes=30))
    assert [wait_after(n, rule).total_seconds() for n in (1, 5, 6, 7, 8, 12)] == [0, 0, 1, 2, 4, 64]
    assert wait_after(40, rule) == timedelta(minutes=5)


def test_guessing_gets_429_with_retry_after_but_the_real_user_elsewhere_signs_in(app, db, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    with time_machine.travel(MORNING, tick=False), _client(app, "198.51.100.7") as attacker, _client(app, "203.0.113.20") as school:
        for _ in range(PAIR_RULE.free_failures + 1):
            assert _try(attacker, csrf_from, user.email, "guess-guess-guess").status_code == 200
        blocked = _try(attacker, csrf_from, user.email, "correct horse battery staple")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert "Too many attempts" in blocked.text

        allowed = _try(school, csrf_from, user.email, "correct horse battery staple")
        assert allowed.status_code == 303 and allowed.headers["location"] == "/sign-in/two-factor"


def test_the_wait_passes_and_the_count_is_forgotten_after_success(app, db, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    with time_machine.travel(MORNING, tick=False) as traveller, _client(app, "198.51.100.8") as browser:
        for _ in range(PAIR_RULE.free_failures + 1):
            _try(browser, csrf_from, user.email, "wrong password here")
        assert _try(browser, csrf_from, user.email, "correct horse battery staple").status_code == 429
        traveller.shift(timedelta(seconds=2))
        assert _try(browser, csrf_from, user.email, "correct horse battery staple").status_code == 303
        browser.cookies.clear()
        # Success wiped the count: one more slip does not bring back the wait.
        assert _try(browser, csrf_from, user.email, "wrong again, sorry").status_code == 200
        assert _try(browser, csrf_from, user.email, "correct horse battery staple").status_code == 303


def test_one_address_trying_many_emails_is_slowed_down(app, db, make_user, csrf_from):
    from service.accounts.throttle import ADDRESS_RULE

    with time_machine.travel(MORNING, tick=False), _client(app, "198.51.100.9") as sprayer:
        statuses = [_try(sprayer, csrf_from, f"person{n}@example.sch.uk", "Password123456").status_code
                    for n in range(ADDRESS_RULE.free_failures + 2)]
    assert statuses[:ADDRESS_RULE.free_failures + 1] == [200] * (ADDRESS_RULE.free_failures + 1) and statuses[-1] == 429
