"""Stored-row counts shared by the reliability tests: what the database durably holds after a fault."""

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class StoredCounts:
    incidents: int
    notifications: int
    outbox: int
    idempotency: int


def stored_counts(engine) -> StoredCounts:
    """What is durably stored, read on a fresh connection so nothing in a test's session hides it."""
    with engine.connect() as connection:
        def count(table: str) -> int:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

        return StoredCounts(count("incident"), count("notification"), count("outbox_message"), count("idempotency_record"))
