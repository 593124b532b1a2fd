"""Operator commands for alerts: running workers, dead letters and setting webhooks."""

from __future__ import annotations

import getpass
import signal
import threading
from datetime import timedelta

from service.audit.service import Actor
from service.db import unit_of_work


def _operator() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(type="operator", id=name[:64], source="cli")


def cmd_worker_run(args) -> int:
    from service.alerts.worker import build_worker, run_worker

    worker = build_worker(worker_id=args.id)
    if args.once:
        report = worker.run_once()
        print(f"Worker {worker.worker_id}: {report}.")
        return 0
    stop = threading.Event()
    # SIGTERM from the process manager finishes the current send, then stops: no claim is left half done.
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    print(f"Worker {worker.worker_id} running; stop it with Ctrl-C or SIGTERM.", flush=True)
    run_worker(stop, poll_seconds=args.poll_seconds, worker=worker)
    return 0


def cmd_outbox_list(args) -> int:
    from service.alerts.service import list_messages

    with unit_of_work() as session:
        messages = list_messages(session, state=args.state, limit=args.limit)
        print(f"{'id':>6}  {'template':<26} {'audience':<17} {'to':<10} {'tries':>5}  {'created (UTC)':<16}  "
              f"{'receipt':<17}  last error")
        for m in messages:
            print(f"{m.id:>6}  {m.template:<26} {m.audience:<17} {m.audience_ref:<10} {m.attempts:>5}  "
                  f"{m.created_at:%Y-%m-%d %H:%M}  {m.receipt_status or '':<17}  {m.last_error or ''}")
        print(f"{len(messages)} {args.state} alert(s).")
    return 0


def cmd_outbox_retry(args) -> int:
    from service.alerts.service import retry_all_dead_letters, retry_dead_letter

    with unit_of_work() as session:
        if args.all_dead:
            count = retry_all_dead_letters(session, _operator())
        else:
            retry_dead_letter(session, args.id, _operator())
            count = 1
    print(f"{count} dead alert(s) queued to be sent again.")
    return 0


def cmd_outbox_callback_token(args) -> int:
    from service.alerts.receipts import issue_callback_token
    from service.audit import service as audit_service
    from service.db import utcnow

    with unit_of_work() as session:
        token = issue_callback_token(session, now=utcnow(), revoke_others=args.revoke_others)
        audit_service.record(session, _operator(), "notify.callback_token_issued", "notify_callback_token", "new",
                             revoked_others=args.revoke_others)
    print("Bearer token for GOV.UK Notify's delivery receipts callback (API integration > Callbacks), with the URL")
    print("<BASE_URL>/api/notify/delivery-receipts. It is shown once only; only its SHA-256 is kept:")
    print(f"\n    {token}\n")
    return 0


def cmd_webhooks_set(args) -> int:
    from service.alerts.setting_webhooks import set_webhook

    with unit_of_work() as session:
        secret = set_webhook(session, urn=args.urn, url=args.url, actor=_operator())
    _show_secret(args.urn, secret)
    return 0


def cmd_webhooks_rotate(args) -> int:
    from service.alerts.setting_webhooks import rotate_webhook_secret

    with unit_of_work() as session:
        secret = rotate_webhook_secret(session, urn=args.urn, actor=_operator(), overlap=timedelta(hours=args.overlap_hours))
    _show_secret(args.urn, secret)
    print(f"Webhooks are signed with the old secret too for {args.overlap_hours} hours; switch the receiver over before then.")
    return 0


def cmd_webhooks_disable(args) -> int:
    from service.alerts.setting_webhooks import disable_webhook

    with unit_of_work() as session:
        disable_webhook(session, urn=args.urn, actor=_operator())
    print(f"Webhook for setting {args.urn} disabled; email alerts carry on.")
    return 0


def cmd_webhooks_reencrypt(args) -> int:
    from service.cli import cmd_secrets_reencrypt

    # Kept for runbooks written before TOTP secrets were encrypted: re-encrypting webhooks alone would leave the old
    # key still needed by authenticator secrets, so this does everything `encompass secrets reencrypt` does.
    return cmd_secrets_reencrypt(args)


def _show_secret(urn: str, secret: str) -> None:
    print(f"Webhook signing secret for setting {urn}. It is shown once only; give it to the setting's system now:")
    print(f"\n    {secret}\n")


def register_commands(areas, area, command) -> None:
    worker = area("worker", "the alert worker: escalation ladder and outbox")
    sub = command(worker, "run", cmd_worker_run, "run a worker until stopped (production: one or more, own processes)")
    sub.add_argument("--once", action="store_true", help="do one pass (ladder, then every due alert) and exit")
    sub.add_argument("--id", help="a name for this worker, shown as the claimant of alerts it is sending")
    sub.add_argument("--poll-seconds", type=float, default=2, help="pause between passes (default 2)")

    outbox = area("outbox", "alerts waiting, sent or dead")
    sub = command(outbox, "list", cmd_outbox_list, "list alerts in a state (default: dead letters)")
    sub.add_argument("--state", choices=("pending", "sending", "sent", "dead", "cancelled"), default="dead")
    sub.add_argument("--limit", type=int, default=200)
    sub = command(outbox, "retry", cmd_outbox_retry, "send a dead alert again, with fresh attempts (audited)")
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the outbox id from `outbox list`")
    which.add_argument("--all-dead", action="store_true", help="every dead alert")
    sub = command(outbox, "callback-token", cmd_outbox_callback_token,
                  "issue the bearer token for Notify's delivery receipts (shown once; stored hashed)")
    sub.add_argument("--revoke-others", action="store_true", help="earlier tokens stop working now")

    webhooks = area("webhooks", "optional per-setting webhooks")
    sub = command(webhooks, "set", cmd_webhooks_set, "set a setting's webhook URL (https only) and show a new secret once")
    sub.add_argument("--urn", required=True)
    sub.add_argument("--url", required=True)
    sub = command(webhooks, "rotate", cmd_webhooks_rotate, "issue a new signing secret; the old one signs too for an overlap")
    sub.add_argument("--urn", required=True)
    sub.add_argument("--overlap-hours", type=int, default=24)
    command(webhooks, "reencrypt", cmd_webhooks_reencrypt,
            "same as `encompass secrets reencrypt`: every stored secret under the first ENCRYPTION_KEYS key")
    sub = command(webhooks, "disable", cmd_webhooks_disable, "stop sending a setting's webhooks")
    sub.add_argument("--urn", required=True)
