"""A status has one colour everywhere: a Key Adult, an LA officer and police staff comparing screens (or a
screenshot in an email) must not see "Viewed" purple on one and turquoise or blue on another."""

from service import wording
from service.config import REPO_ROOT
from service.keyadult import wording as keyadult_wording
from service.laworkspace.queues import STATUS_LABELS as LA_STATUS_LABELS
from service.policeportal import readback


def test_every_status_word_any_portal_shows_has_its_one_colour():
    words = {*keyadult_wording.STATUS_LABELS.values(), "Overdue", *LA_STATUS_LABELS.values(),
             *readback.STATUS_WORDS.values(), readback.NOT_ROUTED}
    missing = sorted(word for word in words if word not in wording.STATUS_TAG_CLASSES)
    assert not missing, missing
    css = (REPO_ROOT / "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css").read_text()
    unknown = sorted({c for c in wording.STATUS_TAG_CLASSES.values() if c and f".{c}" not in css})
    assert not unknown, f"govuk-frontend has no {unknown}: those tags would all show as plain blue"
    assert keyadult_wording.STATUS_TAG_CLASSES is wording.STATUS_TAG_CLASSES
    # The same state, the same colour, whichever portal's words name it.
    assert wording.STATUS_TAG_CLASSES["Overdue"] == wording.STATUS_TAG_CLASSES["Past deadline"]
    assert wording.STATUS_TAG_CLASSES["New"] == wording.STATUS_TAG_CLASSES["Received"]
