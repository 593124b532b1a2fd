"""Alembic environment: the database comes from the service's settings, the target from its models."""

from alembic import context
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers every table)
from service.db import engine_for
from service.config import get_settings

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with engine_for(get_settings().database_url).connect() as connection:
        _run(connection)
        connection.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
