"""Retention of child data: what is past retention, and the purge that blanks it while keeping the timings."""
