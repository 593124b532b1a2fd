"""The escalation ladder driven by the worker: deputies at the deadline, the LA after that."""
