"""The administrator's pages: the outbox's dead letters and the audit trail export."""
