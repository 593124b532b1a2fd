"""Per-process rate limits would carry over between tests; start each test with none."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_reset_limits():
    from service.accounts.routes_portal import reset_requests

    reset_requests._buckets.clear()
    yield
