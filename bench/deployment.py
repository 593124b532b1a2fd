"""A benchmark deployment in a fresh database: migrations, the whole register, LA configuration, forces, keys, Key Adults."""

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from harness import REGISTER_DIR, elapsed, use_database
from incidents import BENCH_FORCES, SchoolPool, force_la_codes
from sqlmodel import Session

from service.config import REPO_ROOT

# Most settings in a live area have a Key Adult signed up; the rest go to the LA as "not onboarded".
ONBOARDED_SHARE = 0.9


@dataclass
class Deployment:
    database_url: str
    api_keys: dict[str, str]  # force id -> bearer key
    timings: dict[str, float] = field(default_factory=dict)  # seconds


def deploy(database_url: str, pool: SchoolPool, *, register_dir: Path = REGISTER_DIR, seed: int = 7) -> Deployment:
    """Everything a police force needs before its first incident, through the same service functions operators use."""
    use_database(database_url)
    from service.db import engine_for
    from service.localauthorities.service import parse_config, save_local_authority
    from service.migrations import upgrade_to_head
    from service.police.service import create_client, upsert_force
    from service.register.service import import_register

    engine = engine_for(database_url)
    timings = {}
    started = time.perf_counter()
    upgrade_to_head(engine)
    timings["migrate_s"] = elapsed(started)

    started = time.perf_counter()
    with Session(engine) as session:
        import_register(session, establishments=register_dir / "establishments.csv", links=register_dir / "links.csv")
        session.commit()
    timings["register_import_s"] = elapsed(started)

    keys = {}
    with Session(engine) as session:
        for values in parse_config(_la_config(pool)):
            save_local_authority(session, values)
        for force in BENCH_FORCES:
            upsert_force(session, force_id=force.force_id, name=force.name, default_la_code=force.default_la_code,
                         la_codes=list(force.la_codes))
            keys[force.force_id] = create_client(session, force_id=force.force_id, name=f"{force.name} (benchmark)").key
        session.commit()
    onboard_key_adults(engine, pool, seed=seed)
    return Deployment(database_url=database_url, api_keys=keys, timings=timings)


def _la_config(pool: SchoolPool) -> str:
    """The East Midlands configuration, plus the same defaults for every other LA the bench forces cover."""
    text = (REPO_ROOT / "config" / "east_midlands.toml").read_text(encoding="utf-8")
    configured = {line.split('"')[1] for line in text.splitlines() if line.startswith("code = ")}
    for force in BENCH_FORCES:
        for code in force_la_codes(force):
            if code not in configured and pool.open_by_la.get(code):
                name = pool.open_by_la[code][0].la_name.replace('"', "")
                text += f'\n[[local_authority]]\ncode = "{code}"\nname = "{name}"\n'
                configured.add(code)
    return text


def onboard_key_adults(engine: sa.Engine, pool: SchoolPool, *, seed: int) -> int:
    """One active Key Adult (with a password, so able to sign in) for most open settings in the bench forces'
    areas, inserted in bulk."""
    from service.accounts.models import SettingMembership, User
    from service.accounts.passwords import hash_password

    rng = random.Random(seed)
    urns = [s.urn for force in BENCH_FORCES for s in pool.settings_in(force_la_codes(force)) if rng.random() < ONBOARDED_SHARE]
    password_hash = hash_password(f"bench key adult {seed}")  # one hash for all: argon2 is slow on purpose
    with engine.begin() as connection:
        connection.execute(sa.insert(User.__table__), [
            {"email": f"key.adult.{urn}@bench.example.sch.uk", "display_name": f"Key Adult {urn}", "kind": "setting_staff",
             "is_active": True, "password_hash": password_hash} for urn in urns
        ])
        ids = dict(connection.execute(
            sa.select(User.__table__.c.email, User.__table__.c.id).where(User.__table__.c.email.like("key.adult.%"))
        ).all())
        connection.execute(sa.insert(SettingMembership.__table__), [
            {"user_id": ids[f"key.adult.{urn}@bench.example.sch.uk"], "urn": urn, "role": "key_adult"} for urn in urns
        ])
    return len(urns)
