"""The operator command line: `encompass <area> <command>`. Each area's commands live with its domain."""

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError
from tqdm import tqdm

from service.config import get_settings, settings_problem
from service.db import get_engine, unit_of_work
from service.migrations import upgrade_to_head
from service.ops.logging import configure_logging

Command = Callable[[argparse.Namespace], int]


def overlap_hours(text: str) -> int:
    """Whole hours from 0 to 720: a negative overlap ends the older keys before the rotation, and one of years
    is no rotation at all (police.service.MAX_KEY_OVERLAP)."""
    from service.police.service import MAX_KEY_OVERLAP

    most = int(MAX_KEY_OVERLAP.total_seconds() // 3600)
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of hours") from None
    if not 0 <= value <= most:
        raise argparse.ArgumentTypeError(f"{value} hours: give 0 or more, and {most} or fewer")
    return value


def input_file(path: str) -> Path:
    """A file a command reads, checked before it changes anything: a missing one is a one-line error."""
    found = Path(path)
    if not found.is_file():
        raise ValueError(f"{path}: {'Is a directory' if found.is_dir() else 'No such file or directory'}")
    return found


def cmd_migrate(_args) -> int:
    upgrade_to_head(get_engine())
    print("Database is at the newest schema.")
    return 0


def cmd_serve(args) -> int:
    """The web app, and (unless --no-worker) the alert worker in the same process: the embedded default."""
    import os
    import threading

    import uvicorn

    from service.config import base_url_for_serving

    base_url = base_url_for_serving(get_settings(), os.environ, host=args.host, port=args.port)
    if base_url:  # the worker below and the web processes (which inherit the environment) build links from it
        os.environ["BASE_URL"] = base_url
        get_settings.cache_clear()
    if not args.no_migrate:
        upgrade_to_head(get_engine())
    stop = threading.Event()
    worker = None
    if not args.no_worker:
        from service.alerts.worker import run_worker

        worker = threading.Thread(target=run_worker, kwargs={"stop": stop, "worker_id": "embedded"}, name="worker", daemon=True)
        worker.start()
    try:
        uvicorn.run("service.main:app", host=args.host, port=args.port, workers=args.workers, proxy_headers=True,
                    forwarded_allow_ips=args.forwarded_allow_ips, access_log=False, log_config=None)
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=10)
    return 0


def cmd_register_import(args) -> int:
    from service.register import service as register_service

    establishments = input_file(args.establishments)
    links = input_file(args.links) if args.links else None
    # Opened before the import, so a report that cannot be written stops it before anything is saved.
    report_file = _writable(args.report) if args.report else None
    total = register_service.rows_to_import(establishments, links)
    with unit_of_work() as session, tqdm(total=total, unit="rows", desc="Importing register", file=sys.stderr) as bar:
        report = register_service.import_register(session, establishments=establishments, links=links, on_progress=bar.update)
    print(f"Read {report.rows_read} rows; saved {report.rows_saved} settings; {len(report.problems)} rows rejected.")
    if report.links_removed:
        print(f"  removed {report.links_removed} link{'' if report.links_removed == 1 else 's'} no longer in the links file.")
    for problem in report.problems[: args.show_problems]:
        where = f"line {problem.line}" if problem.line else "link"
        print(f"  {where}{' URN ' + problem.urn if problem.urn else ''}: {problem.message}")
    if len(report.problems) > args.show_problems:
        print(f"  … and {len(report.problems) - args.show_problems} more (use --report FILE for all of them).")
    if report_file is not None:
        with report_file as handle:
            handle.write("line,urn,problem\n")
            for problem in report.problems:
                handle.write(f'{problem.line},{problem.urn or ""},"{problem.message.replace(chr(34), chr(39))}"\n')
    return 0


def _writable(path: str):
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path}: {error.strerror}") from None


def cmd_la_load(args) -> int:
    from service.localauthorities.service import load_config

    with unit_of_work() as session:
        codes = load_config(session, input_file(args.file))
    print(f"Loaded configuration for {len(codes)} local authorities: {', '.join(codes)}")
    return 0


def cmd_police_add_force(args) -> int:
    from service.police.service import upsert_force

    with unit_of_work() as session:
        upsert_force(session, force_id=args.id, name=args.name, default_la_code=args.default_la, la_codes=args.la or [])
    print(f"Police force {args.id} saved.")
    return 0


def cmd_police_create_client(args) -> int:
    from service.police.service import create_client

    with unit_of_work() as session:
        issued = create_client(session, force_id=args.force, name=args.name, scopes=args.scope)
    _show_key(issued)
    return 0


def cmd_police_rotate(args) -> int:
    from service.police.service import rotate_key

    with unit_of_work() as session:
        issued = rotate_key(session, client_id=args.client, overlap=timedelta(hours=args.overlap_hours))
    _show_key(issued)
    print(f"Older keys of this client stop working in {args.overlap_hours} hours.")
    return 0


def cmd_police_revoke(args) -> int:
    from service.police.service import revoke_client

    with unit_of_work() as session:
        revoke_client(session, client_id=args.client)
    print(f"API client {args.client} revoked: its keys no longer work.")
    return 0


def cmd_police_list(_args) -> int:
    from service.police.service import list_clients

    with unit_of_work() as session:
        rows = list_clients(session)
        print(f"{'id':>4}  {'force':<24} {'name':<30} {'scopes':<40} {'working keys':>12}  state")
        for client, working in rows:
            state = "revoked" if client.revoked_at else "active"
            print(f"{client.id:>4}  {client.force_id:<24} {client.name:<30} {' '.join(client.scopes):<40} {working:>12}  {state}")
    return 0


def cmd_secrets_reencrypt(_args) -> int:
    from service.accounts.service import reencrypt_totp_secrets
    from service.alerts.service import reencrypt_outbox_links
    from service.alerts.setting_webhooks import reencrypt_webhook_secrets
    from service.audit.service import Actor

    # Every kind of secret at rest shares ENCRYPTION_KEYS, so all are re-encrypted together: an old key left needed
    # by one kind would lock users out (TOTP) or dead-letter webhooks once removed. One transaction: a secret no key
    # decrypts raises SecretUnreadable (a ValueError, reported by main) and nothing changes.
    operator = Actor(type="operator", id="cli", source="cli")
    with unit_of_work() as session:
        webhooks = reencrypt_webhook_secrets(session, actor=operator)
        authenticators = reencrypt_totp_secrets(session, actor=operator)
        links = reencrypt_outbox_links(session, actor=operator)
    print(f"{webhooks} webhook secret(s), {authenticators} authenticator app (TOTP) secret(s) and {links} waiting "
          "invitation or reset link(s) now encrypted with the first key in ENCRYPTION_KEYS; the others can be removed.")
    return 0


def _show_key(issued) -> None:
    print(f"API client {issued.client_id}. Its key is shown once only; store it in the force's secret store now:")
    print(f"\n    {issued.key}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="encompass", description="Operate the Operation Encompass notification service.")
    areas = parser.add_subparsers(dest="area", required=True)

    def area(name: str, help_text: str):
        return areas.add_parser(name, help=help_text).add_subparsers(dest="command", required=True)

    def command(group, name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help_text)
        sub.set_defaults(handler=handler)
        return sub

    sub = areas.add_parser("serve", help="run the web app (and, unless --no-worker, the alert worker)")
    sub.set_defaults(handler=cmd_serve)
    sub.add_argument("--host", default="127.0.0.1")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--workers", type=int, default=1, help="web processes (production: put several behind a load balancer)")
    sub.add_argument("--no-worker", action="store_true", help="do not run the alert worker in this process (production)")
    sub.add_argument("--no-migrate", action="store_true",
                     help="do not migrate at start (production: run `encompass db upgrade` once per release instead)")
    sub.add_argument("--forwarded-allow-ips", default="127.0.0.1", help="proxies trusted for X-Forwarded-For")

    db = area("db", "database schema")
    command(db, "upgrade", cmd_migrate, "apply migrations up to the newest schema")

    register = area("register", "the DfE register of settings")
    sub = command(register, "import", cmd_register_import, "import (or re-import) a GIAS establishments CSV and links CSV")
    sub.add_argument("--establishments", required=True, help="GIAS establishments CSV")
    sub.add_argument("--links", help="GIAS links CSV")
    sub.add_argument("--report", help="write every rejected row to this CSV file")
    sub.add_argument("--show-problems", type=int, default=20, help="how many rejected rows to print (default 20)")

    la = area("la", "local authority configuration")
    sub = command(la, "load", cmd_la_load, "create or update LAs from a TOML file")
    sub.add_argument("file")

    police = area("police", "police forces and API clients")
    sub = command(police, "add-force", cmd_police_add_force, "create or update a police force")
    sub.add_argument("--id", required=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("--default-la", required=True, help="LA code used when a child's home LA is not given")
    sub.add_argument("--la", action="append", help="another LA the force covers (repeatable)")
    sub = command(police, "create-client", cmd_police_create_client, "create an API client and show its key once")
    sub.add_argument("--force", required=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("--scope", action="append", help="incidents:write, notifications:read (default both)")
    command(police, "list-clients", cmd_police_list, "list API clients")
    sub = command(police, "rotate-key", cmd_police_rotate, "issue a new key; older keys keep working for an overlap")
    sub.add_argument("--client", type=int, required=True)
    sub.add_argument("--overlap-hours", type=overlap_hours, default=24,
                     help="hours the older keys keep working, 0 to 720 (default 24)")
    sub = command(police, "revoke", cmd_police_revoke, "revoke a client and all its keys")
    sub.add_argument("--client", type=int, required=True)

    secrets = area("secrets", "secrets stored encrypted: webhook signing secrets and authenticator app (TOTP) secrets")
    command(secrets, "reencrypt", cmd_secrets_reencrypt,
            "encrypt every stored secret with the first ENCRYPTION_KEYS key, so older keys can be removed")

    for extend in _extensions():
        extend(areas, area, command)
    return parser


# Domains that add their own commands: each module has register_commands(areas, area, command).
EXTENSION_MODULES = ("service.demo", "service.retention.cli", "service.audit.cli", "service.alerts.cli", "service.accounts.cli")


def _extensions():
    import importlib

    for module_name in EXTENSION_MODULES:
        yield importlib.import_module(module_name).register_commands


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()  # refuse unsafe production settings before doing anything
    except ValidationError as error:
        print(f"error: {settings_problem(error)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return args.handler(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
