"""The operator's retention command: `encompass retention purge [--dry-run]`."""

from service.audit import service as audit_service
from service.audit.cli import operator_actor
from service.config import get_settings
from service.db import unit_of_work


def cmd_retention_purge(args) -> int:
    from service.db import utcnow
    from service.policeportal.uploads import PREVIEW_LIFETIME, delete_abandoned_previews
    from service.retention.service import purge_idempotency_records, purge_past_retention

    settings = get_settings()
    retention_days, replay_days = settings.retention_days, settings.idempotency_replay_days
    with unit_of_work() as session:
        actor = operator_actor()
        report = purge_past_retention(session, retention_days=retention_days, actor=actor, dry_run=args.dry_run)
        replays = purge_idempotency_records(session, replay_days=replay_days, actor=actor, dry_run=args.dry_run)
        previews = delete_abandoned_previews(session, now=utcnow(), dry_run=args.dry_run)
        if previews and not args.dry_run:
            audit_service.record(session, actor, "retention.upload_previews_deleted", "retention",
                                 utcnow().date().isoformat(), previews=previews)
    verb = "Would purge" if report.dry_run else "Purged"
    print(f"{verb} the child data of {len(report.notification_ids)} notifications closed on or before "
          f"{report.cutoff:%Y-%m-%d %H:%M} UTC (retention {retention_days} days), "
          f"and the summaries of {len(report.incident_ids)} incidents.")
    print(f"{'Would delete' if replays.dry_run else 'Deleted'} {replays.records} police idempotency records created on or "
          f"before {replays.cutoff:%Y-%m-%d %H:%M} UTC (replay window {replay_days} days).")
    plural = "" if previews == 1 else "s"
    print(f"{'Would delete' if report.dry_run else 'Deleted'} {previews} unconfirmed upload preview{plural} older than "
          f"{PREVIEW_LIFETIME.total_seconds() / 3600:.0f} hours (police staff upload again to send them).")
    if report.dry_run:
        print("Nothing was changed (--dry-run).")
    return 0


def register_commands(areas, area, command) -> None:
    retention = area("retention", "retention of child data")
    sub = command(retention, "purge", cmd_retention_purge,
                  "blank the child data of notifications closed longer ago than RETENTION_DAYS, keeping their timings, "
                  "delete police idempotency records older than IDEMPOTENCY_REPLAY_DAYS, and police upload previews nobody "
                  "confirmed within a day")
    sub.add_argument("--dry-run", action="store_true", help="count what would be purged and change nothing")
