"""Alerts sent outside the service: Notify email, signed webhooks, and the senders the outbox worker calls."""
