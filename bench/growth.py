"""Growth benchmark: Key Adult inbox and LA queue response times with 10,000 and with 1,000,000 notifications stored.

Rows are generated in PostgreSQL with INSERT ... SELECT generate_series, spread over ~2,000 real settings in every
LA of the register, a year of arrival times, and the status mix a year of work leaves behind. The pages are timed
through the portal's own service functions (service.keyadult.inbox.inbox, service.laworkspace.queues.queue_page).

    .venv/bin/python bench/growth.py                            # 10,000 then 1,000,000 notifications
    .venv/bin/python bench/growth.py --sizes 200,2000 --samples 20
"""

import argparse
import random
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime

import sqlalchemy as sa
from harness import REGISTER_DIR, elapsed, latency_summary, postgres, print_table, sqlalchemy_url, use_database
from incidents import SchoolPool
from sqlmodel import Session

SETTINGS = 2000
GENERATE_CHUNK = 100_000
# Loads bigger than this drop and rebuild the notification indexes around the load.
REBUILD_INDEXES_FROM = 50_000
# A year of notifications; the newest week is still being worked, older ones are mostly closed.
SPAN_DAYS = 365


def pick_settings(pool: SchoolPool, count: int, *, seed: int) -> list[tuple[str, str]]:
    """(urn, la_code) for `count` open settings, every LA represented, bigger LAs with more settings."""
    rng = random.Random(seed)
    total = sum(len(settings) for settings in pool.open_by_la.values())
    chosen = []
    for la_code, settings in sorted(pool.open_by_la.items()):
        share = max(1, round(count * len(settings) / total))
        chosen.extend((s.urn, la_code) for s in rng.sample(settings, min(share, len(settings))))
    rng.shuffle(chosen)
    return chosen[:count]


# The spread, in SQL: setting k gets a weight so a few big secondaries receive many more than small primaries.
_GENERATE_INCIDENTS = """
INSERT INTO incident (id, force_id, api_client_id, police_reference, version, is_current, body_hash, occurred_at,
                      received_at, risk_level, summary, police_actions)
SELECT md5('incident' || g)::uuid::text, :force_id, :client_id, 'GR-' || lpad(g::text, 8, '0'), 1, true,
       md5('body' || g), now() - make_interval(secs => (g * 7919 % (CAST(:span_days AS int) * 86400))) - interval '3 hours',
       now() - make_interval(secs => (g * 7919 % (CAST(:span_days AS int) * 86400))),
       (ARRAY['standard','standard','medium','high','not_assessed'])[1 + g % 5],
       'Generated incident for the growth benchmark.', '["DASH risk assessment completed"]'
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
"""

_GENERATE_NOTIFICATIONS = """
INSERT INTO notification (
    id, incident_id, force_id, child_reference, given_name, family_name, date_of_birth, education_status, child_key,
    age_at_incident, routing_outcome, routing_method, routing_reason, routing_score, routing_candidates, intended_urn,
    recipient_urn, recipient_la_code, la_queue, status, received_at, acknowledge_by, delivered_at, first_viewed_at,
    acknowledged_at, escalated_at, closed_at, superseded_by_id)
SELECT md5('notification' || n)::uuid::text, md5('incident' || i)::uuid::text, :force_id, 'C' || (n % 2 + 1),
       'Child', 'Generated', date '2014-01-01' + CAST(n % 4000 AS int), education_status, md5('child' || (n % 600000)),
       5 + n % 12, outcome, method, 'Generated routing decision.', 90.0, '[]', NULL,
       CASE WHEN outcome = 'setting' THEN urn END, la_code, la_queue, status,
       received_at, received_at + interval '20 hours', received_at + interval '1 minute',
       CASE WHEN status IN ('viewed','acknowledged','closed') THEN received_at + interval '2 hours' END,
       CASE WHEN status IN ('acknowledged','closed') THEN received_at + interval '3 hours' END,
       CASE WHEN status = 'escalated' THEN received_at + interval '1 day' END,
       CASE WHEN status = 'closed' THEN received_at + interval '5 days' END,
       CASE WHEN n % 97 = 0 THEN md5('correction' || n)::uuid::text END
FROM (
    SELECT n, i, received_at, s.urn, s.la_code, outcome, method,
           CASE WHEN outcome = 'local_authority' THEN
                (ARRAY['not_in_school','not_in_school','to_resolve','to_resolve','not_onboarded','sent_back','escalated'])[1 + n % 7]
                WHEN status = 'escalated' THEN 'escalated' END AS la_queue,
           status, education_status
    FROM (
        SELECT n, (n + 1) / 2 AS i,
               now() - make_interval(secs => (((n + 1) / 2) * 7919 % (CAST(:span_days AS int) * 86400))) AS received_at,
               -- Skewed: low-numbered settings (in random order of the register) get many more notifications.
               1 + floor(CAST(:settings AS int) * power(((n * 2654435761) % 1000003) / 1000003.0, 1.7))::int AS k,
               CASE WHEN n % 100 < 78 THEN 'setting' ELSE 'local_authority' END AS outcome,
               CASE WHEN n % 100 < 78 THEN 'name' WHEN n % 100 < 90 THEN 'education_status' ELSE 'name_ambiguous' END AS method,
               CASE WHEN n % 100 >= 78 AND n % 100 < 90 THEN 'elective_home_education' ELSE 'attends_setting' END AS education_status,
               CASE
                   -- Older than a week: nearly everything acknowledged and closed.
                   WHEN (((n + 1) / 2) * 7919 % (CAST(:span_days AS int) * 86400)) > 7 * 86400 THEN
                        (ARRAY['closed','closed','closed','closed','closed','closed','closed','closed','closed','closed',
                               'closed','closed','closed','closed','closed','closed','closed','acknowledged','acknowledged',
                               'escalated'])[1 + (n * 31) % 20]
                   ELSE (ARRAY['received','delivered','delivered','viewed','viewed','acknowledged','acknowledged',
                               'acknowledged','closed','escalated'])[1 + (n * 31) % 10]
               END AS status
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
    ) AS spread
    JOIN bench_growth_setting AS s ON s.k = spread.k
) AS rows_to_insert
"""


def generate(engine: sa.Engine, first: int, last: int, *, force_id: str, client_id: int) -> float:
    """Notifications first..last (and their incidents, two children each), in chunks; seconds taken."""
    started = time.perf_counter()
    rebuilt = _drop_secondary_indexes(engine) if last - first >= REBUILD_INDEXES_FROM else []
    for chunk_first in range(first, last + 1, GENERATE_CHUNK):
        chunk_last = min(last, chunk_first + GENERATE_CHUNK - 1)
        with engine.begin() as connection:
            incidents_from, incidents_to = (chunk_first + 1) // 2, (chunk_last + 1) // 2
            if chunk_first % 2 == 0:
                incidents_from += 1  # that incident was written with the previous chunk
            connection.execute(sa.text(_GENERATE_INCIDENTS), {
                "force_id": force_id, "client_id": client_id, "span_days": SPAN_DAYS,
                "first": incidents_from, "last": incidents_to})
            connection.execute(sa.text(_GENERATE_NOTIFICATIONS), {
                "force_id": force_id, "span_days": SPAN_DAYS, "settings": SETTINGS, "first": chunk_first, "last": chunk_last})
        print(f"growth: {chunk_last:,} notifications stored", file=sys.stderr, flush=True)
    if rebuilt:
        print(f"growth: rebuilding {len(rebuilt)} indexes ...", file=sys.stderr, flush=True)
        with engine.begin() as connection:
            for definition in rebuilt:
                connection.execute(sa.text(definition))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Autovacuum would do this in production; without it a fresh bulk load has no visibility map or statistics.
        connection.execute(sa.text("VACUUM ANALYZE notification"))
        connection.execute(sa.text("VACUUM ANALYZE incident"))
    return elapsed(started)


def _drop_secondary_indexes(engine: sa.Engine) -> list[str]:
    """Drops the notification table's plain indexes for a bulk load, returning the statements that rebuild them.

    Building an index once over a million rows takes a fraction of updating it row by row; the rebuilt indexes are
    the same definitions (from pg_indexes), so the pages are timed against the schema the migrations made.
    """
    with engine.begin() as connection:
        definitions = connection.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'notification' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'notification'::regclass)")).all()
        for name, _definition in definitions:
            connection.execute(sa.text(f'DROP INDEX "{name}"'))
    return [definition for _name, definition in definitions]


# --- The pages being timed -----------------------------------------------------------------------------------------

class Pages:
    """The Key Adult inbox and LA queue as the portal serves them; the mirror queries stand in until those exist."""

    def __init__(self):
        try:
            from service.keyadult import inbox as keyadult_service
            from service.laworkspace import queues as la_service
        except ImportError:
            keyadult_service = la_service = None
        self.keyadult, self.la = keyadult_service, la_service
        self.inbox_source = "service.keyadult.inbox.inbox" if keyadult_service else "mirror query"
        self.queue_source = "service.laworkspace.queues.queue_page" if la_service else "mirror query"

    def inbox(self, session: Session, urn: str, now: datetime) -> int:
        if self.keyadult is not None:
            staff = self.keyadult.StaffMember(user_id=0, urns=frozenset({urn}))
            return len(self.keyadult.inbox(session, staff=staff, criteria=self.keyadult.InboxCriteria(), now=now).rows)
        return _mirror_inbox(session, urn)

    def inbox_proposed(self, session: Session, urn: str, now: datetime) -> int:
        return _proposed_inbox(session, urn, self.keyadult)

    def queue(self, session: Session, la_code: str, queue: str, now: datetime) -> int:
        if self.la is not None:
            officer = self.la.Officer(id=0, la_codes=frozenset({la_code}))
            return len(self.la.queue_page(session, officer, queue, self.la.QueueFilters(), now=now).items)
        return _mirror_queue(session, la_code, queue)

    def queue_counts(self, session: Session, la_code: str) -> int | None:
        if self.la is None:
            return None
        return sum(self.la.queue_counts(session, self.la.Officer(id=0, la_codes=frozenset({la_code}))).values())


def _mirror_inbox(session: Session, urn: str) -> int:
    from service.notifications.models import Notification
    from service.notifications.scope import Scope, scoped_notifications

    scoped = scoped_notifications(Scope(urns=frozenset({urn})))
    session.exec(scoped.with_only_columns(sa.func.count(Notification.id))).one()
    waiting_first = sa.case((Notification.acknowledged_at.is_(None), 0), else_=1)
    return len(session.exec(scoped.order_by(waiting_first, Notification.received_at.desc()).limit(25)).all())


def _proposed_inbox(session: Session, urn: str, keyadult_service) -> int:
    """A proposal, measured here only: the inbox's first page as two short index scans and a count capped at 1,000.

    Waiting notifications first (ix_notification_setting_waiting), then acknowledged ones newest first
    (ix_notification_setting_current): each stops after 25 rows, however long the setting's history.
    """
    from service.notifications.models import Incident, Notification
    from service.notifications.scope import Scope, scoped_notifications
    from service.register.models import Setting

    scoped = scoped_notifications(Scope(urns=frozenset({urn}))).where(Notification.superseded_by_id.is_(None))
    newest_first = (Notification.received_at.desc(), Notification.id.desc())
    capped = scoped.with_only_columns(Notification.id).limit(1001).subquery()
    session.exec(sa.select(sa.func.count()).select_from(capped)).one()
    ids = list(session.exec(scoped.with_only_columns(Notification.id).where(Notification.acknowledged_at.is_(None))
                            .order_by(*newest_first).limit(25)).all())
    if len(ids) < 25:
        ids += session.exec(scoped.with_only_columns(Notification.id).where(Notification.acknowledged_at.is_not(None))
                            .order_by(*newest_first).limit(25 - len(ids))).all()
    rows = session.exec(
        sa.select(Notification.id, Notification.given_name, Notification.family_name, Notification.received_at,
                  Notification.acknowledge_by, Notification.acknowledged_at, Notification.status, Incident.occurred_at,
                  Incident.risk_level, Setting.name)
        .join(Incident, Incident.id == Notification.incident_id)
        .outerjoin(Setting, Setting.urn == Notification.recipient_urn)
        .where(Notification.id.in_(ids))
    ).all()
    if keyadult_service is not None:
        keyadult_service.setting_names(session, frozenset({urn}))
    return len(rows)


def _mirror_queue(session: Session, la_code: str, queue: str) -> int:
    from service.notifications.models import Notification
    from service.notifications.scope import Scope, scoped_notifications

    scoped = scoped_notifications(Scope(la_codes=frozenset({la_code}))).where(Notification.la_queue == queue)
    session.exec(scoped.with_only_columns(sa.func.count(Notification.id))).one()
    return len(session.exec(scoped.order_by(Notification.received_at.desc()).limit(25)).all())


def time_pages(engines: dict[str, sa.Engine], pages: Pages, settings: list[tuple[str, str]], *, samples: int, seed: int) -> dict:
    """Each page for `samples` settings or LAs drawn as users would arrive (busier settings more often).

    The same setting or LA is asked of every database in turn, call by call, so a machine busy with other work slows
    each size alike and the ratio between sizes stays fair.
    """
    from service.notifications.models import LA_QUEUES

    rng = random.Random(seed)
    now = datetime.now(UTC)
    la_codes = sorted({la for _urn, la in settings})
    timings = {size: defaultdict(list) for size in engines}
    cases = {
        "inbox": (lambda: _skewed(settings, rng)[0], lambda session, urn, n: pages.inbox(session, urn, now)),
        "inbox_proposed": (lambda: _skewed(settings, rng)[0], lambda session, urn, n: pages.inbox_proposed(session, urn, now)),
        "queue": (lambda: rng.choice(la_codes), lambda session, la, n: pages.queue(session, la, LA_QUEUES[n % len(LA_QUEUES)], now)),
        "queue_counts": (lambda: rng.choice(la_codes), lambda session, la, n: pages.queue_counts(session, la)),
    }
    order = list(engines)
    for name, (choose, page) in cases.items():
        for n in range(samples + 10):
            subject = choose()
            for size in (order if n % 2 else order[::-1]):
                with Session(engines[size], expire_on_commit=False) as session:
                    started = time.perf_counter()
                    page(session, subject, n)
                    took = elapsed(started)
                    session.rollback()  # queue views write an audit row: leave the data as generated
                if n >= 10:  # the first few warm the connection pool and caches
                    timings[size][name].append(took)
    return {size: {name: latency_summary(seconds) for name, seconds in by_page.items()} for size, by_page in timings.items()}


def _skewed(settings: list[tuple[str, str]], rng: random.Random) -> tuple[str, str]:
    return settings[min(len(settings) - 1, int(len(settings) * rng.random() ** 1.7))]


def explain_pages(engine: sa.Engine, pages: Pages, urn: str, la_code: str) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of every SELECT the inbox and a queue page send, captured as they run."""
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        if statement.lstrip().upper().startswith("SELECT") and "notification" in statement:
            statements.append((statement, parameters))

    plans = {}
    now = datetime.now(UTC)
    for label, page in (("inbox", lambda s: pages.inbox(s, urn, now)),
                        ("inbox proposed", lambda s: pages.inbox_proposed(s, urn, now)),
                        ("queue", lambda s: pages.queue(s, la_code, "not_in_school", now))):
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            with Session(engine) as session:
                page(session)
                session.rollback()
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
        for position, (statement, parameters) in enumerate(statements, start=1):
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                plans[f"{label} #{position}"] = [row[0] for row in cursor.fetchall()]
                raw.rollback()
            finally:
                raw.close()
    return plans


def summarise_plan(lines: list[str]) -> str:
    """The plan's node names, in order, and its execution time: enough to see an index scan or a sort."""
    nodes = []
    for line in lines:
        text = line.strip().removeprefix("->").strip()
        if text.startswith(("Index", "Seq Scan", "Bitmap", "Sort", "Limit", "Aggregate", "Nested Loop", "Hash", "Merge",
                            "Incremental Sort", "Unique", "Subquery")):
            node = text.split("  (")[0].split(" (actual")[0]
            nodes.append(node if len(node) <= 100 else node[:97] + "...")
        if text.startswith("Execution Time"):
            nodes.append(text)
    return "; ".join(nodes)


def prepared_database(server, settings: list[tuple[str, str]], label: str) -> tuple[sa.Engine, int]:
    """A migrated database with the register, one force and client, and the settings the rows are spread over."""
    url = server.create_database(label)
    use_database(url)
    from service.db import engine_for
    from service.migrations import upgrade_to_head
    from service.police.service import create_client, upsert_force
    from service.register.service import import_register

    engine = engine_for(url)
    upgrade_to_head(engine)
    with Session(engine) as session:
        import_register(session, establishments=REGISTER_DIR / "establishments.csv", links=REGISTER_DIR / "links.csv")
        upsert_force(session, force_id="growth", name="Growth benchmark force", default_la_code="830", la_codes=[])
        client_id = create_client(session, force_id="growth", name="Growth benchmark").client_id
        session.commit()
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE bench_growth_setting (k int PRIMARY KEY, urn varchar(12), la_code varchar(3))"))
        connection.execute(sa.text("INSERT INTO bench_growth_setting VALUES (:k, :urn, :la_code)"),
                           [{"k": k, "urn": urn, "la_code": la} for k, (urn, la) in enumerate(settings, start=1)])
    return engine, client_id


def run(options) -> dict:
    pool = SchoolPool.from_register(REGISTER_DIR)
    settings = pick_settings(pool, SETTINGS, seed=options.seed)
    pages = Pages()
    results: dict = {"sizes": {}, "inbox_source": pages.inbox_source, "queue_source": pages.queue_source,
                     "settings": len(settings), "local_authorities": len({la for _u, la in settings})}
    with ExitStack() as stack:
        server = stack.enter_context(postgres(options.postgres_url))
        engines = {}
        for size in options.sizes:
            engine, client_id = prepared_database(server, settings, f"growth{size}")
            print(f"growth: generating {size:,} notifications ...", file=sys.stderr, flush=True)
            generate_s = generate(engine, 1, size, force_id="growth", client_id=client_id)
            engines[str(size)] = engine
            results["sizes"][str(size)] = {"generate_s": generate_s, "table_mib": _table_mib(engine)}
        print("growth: timing pages at every size in turn ...", file=sys.stderr, flush=True)
        timings = time_pages(engines, pages, settings, samples=options.samples, seed=options.seed)
        for size, engine in engines.items():
            busiest_urn, busiest_la = _busiest(engine)
            results["sizes"][size].update(pages=timings[size], plans=explain_pages(engine, pages, busiest_urn, busiest_la),
                                          busiest_setting_rows=_rows_for(engine, busiest_urn))
            engine.dispose()
    smallest, largest = str(min(options.sizes)), str(max(options.sizes))
    results["ratios"] = {
        page: results["sizes"][largest]["pages"][page]["p50_ms"] / results["sizes"][smallest]["pages"][page]["p50_ms"]
        for page in results["sizes"][smallest]["pages"]
    }
    report(results)
    return results


def _busiest(engine: sa.Engine) -> tuple[str, str]:
    with engine.connect() as connection:
        urn = connection.execute(sa.text(
            "SELECT recipient_urn FROM notification WHERE recipient_urn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        la_code = connection.execute(sa.text(
            "SELECT recipient_la_code FROM notification WHERE la_queue = 'not_in_school' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    return urn, la_code


def _rows_for(engine: sa.Engine, urn: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM notification WHERE recipient_urn = :urn"), {"urn": urn}).scalar_one()


def _table_mib(engine: sa.Engine) -> float:
    with engine.connect() as connection:
        return float(connection.execute(sa.text("SELECT pg_total_relation_size('notification') / 1048576.0")).scalar_one())


PAGE_LABELS = {"inbox": "Key Adult inbox (page 1 + count)",
               "inbox_proposed": "inbox, proposed query (capped count)", "queue": "LA queue page (+ count)",
               "queue_counts": "LA queue tab counts (5 queues)"}


def report(results: dict) -> None:
    sizes = list(results["sizes"])
    rows = []
    for page, label in PAGE_LABELS.items():
        first = results["sizes"][sizes[0]]["pages"].get(page)
        if first is None or not first["n"]:
            continue
        row = [label]
        for size in sizes:
            timing = results["sizes"][size]["pages"][page]
            row += [timing["p50_ms"], timing["p95_ms"]]
        row.append(results["ratios"][page])
        rows.append(row)
    headers = ["page"] + [f"{label} {int(size):,}" for size in sizes for label in ("p50 ms", "p95 ms")] + ["p50 ratio"]
    print_table(f"Growth (PostgreSQL, {results['settings']:,} settings in {results['local_authorities']} LAs; "
                f"inbox via {results['inbox_source']}, queue via {results['queue_source']})", headers, rows)
    print_table("Generated data", ["notifications", "generate s", "table+indexes MiB", "busiest setting rows"],
                [[int(size), f["generate_s"], f["table_mib"], f["busiest_setting_rows"]] for size, f in results["sizes"].items()])
    largest = sizes[-1]
    print(f"\nQuery plans at {int(largest):,} notifications (busiest setting and LA):")
    for label, lines in results["sizes"][largest]["plans"].items():
        print(f"  {label}: {summarise_plan(lines)}")


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--sizes", type=lambda text: [int(part) for part in text.split(",")], default=[10_000, 1_000_000],
                           help="notification counts to time the pages at, ascending")
    arguments.add_argument("--samples", type=int, default=300, help="timed calls of each page at each size")
    arguments.add_argument("--postgres-url", help="admin URL of a running PostgreSQL (default: start scripts/postgres.sh)")
    arguments.add_argument("--seed", type=int, default=20251107)
    return arguments


if __name__ == "__main__":
    run(parser().parse_args())
