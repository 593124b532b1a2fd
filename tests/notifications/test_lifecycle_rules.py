"""The transition table itself (pure): sent before delivered, and withdrawal as the end of everything."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.notifications.lifecycle import ALL_STATUSES, RULES, IllegalTransition, NotificationStatus, Transition, status_after

S = NotificationStatus


def test_an_accepted_email_is_sent_and_only_a_receipt_or_webhook_makes_it_delivered():
    assert status_after(Transition.SEND, S.RECEIVED) == S.SENT
    assert status_after(Transition.SEND, S.REROUTED) == S.SENT
    assert status_after(Transition.DELIVER, S.SENT) == S.DELIVERED
    # A late send or receipt never moves a notification back.
    for later in (S.DELIVERED, S.VIEWED, S.ACKNOWLEDGED, S.ESCALATED, S.CLOSED):
        assert status_after(Transition.SEND, later) == later
        assert status_after(Transition.DELIVER, later) == later


def test_withdrawal_ends_everything_from_any_status_once():
    for status in ALL_STATUSES - {S.WITHDRAWN}:
        assert status_after(Transition.WITHDRAW, status) == S.WITHDRAWN
    with pytest.raises(IllegalTransition):
        status_after(Transition.WITHDRAW, S.WITHDRAWN)


@given(st.lists(st.sampled_from(list(Transition)), max_size=30), st.sampled_from(sorted(ALL_STATUSES)))
def test_once_withdrawn_only_record_keeping_applies_and_it_stays_withdrawn(transitions, start):
    status = status_after(Transition.WITHDRAW, start) if start != S.WITHDRAWN else S.WITHDRAWN
    for transition in transitions:
        try:
            status = status_after(transition, status)
        except IllegalTransition:
            continue
        assert transition in (Transition.SUPERSEDE, Transition.PURGE, Transition.RESTATE_WITHDRAWAL), transition
        assert status == S.WITHDRAWN


@given(st.lists(st.sampled_from(list(Transition)), max_size=30))
def test_delivered_is_never_followed_by_sent(transitions):
    status, seen = S.RECEIVED, [S.RECEIVED]
    for transition in transitions:
        try:
            status = status_after(transition, status)
        except IllegalTransition:
            continue
        seen.append(status)
    if S.DELIVERED in seen:
        after = seen[seen.index(S.DELIVERED):]
        # Only a hand-over (a new owner, a clean start) can lead back to sent.
        assert S.SENT not in after or S.REROUTED in after


def test_restating_a_withdrawal_changes_only_its_reason_and_note():
    assert RULES[Transition.RESTATE_WITHDRAWAL].writes == {"withdrawal_reason", "withdrawal_note"}
    assert RULES[Transition.RESTATE_WITHDRAWAL].allowed_from == {S.WITHDRAWN}


def test_withdrawal_writes_only_its_own_fields():
    assert RULES[Transition.WITHDRAW].writes == {"withdrawn_at", "withdrawal_reason", "withdrawal_note", "closed_at",
                                                 "la_queue"}
