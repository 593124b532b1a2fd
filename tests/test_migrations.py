"""The migrations build the schema the models describe, and can be undone and redone, on SQLite and PostgreSQL."""


import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers every table)
from service.migrations import downgrade_to_base, is_at_head, upgrade_to_head



def schema_differences(engine, metadata) -> list:
    """What `alembic revision --autogenerate` would write: empty when the migrations match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def table_names(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_downgrade_and_upgrade_again(fresh_engine):
    model_tables = set(SQLModel.metadata.tables)

    upgrade_to_head(fresh_engine)
    assert model_tables <= table_names(fresh_engine)
    assert is_at_head(fresh_engine)

    downgrade_to_base(fresh_engine)
    assert table_names(fresh_engine) <= {"alembic_version"}
    assert not is_at_head(fresh_engine)

    upgrade_to_head(fresh_engine)
    assert model_tables <= table_names(fresh_engine)
    assert is_at_head(fresh_engine)


def test_the_migrated_schema_matches_the_models(fresh_engine):
    upgrade_to_head(fresh_engine)
    differences = schema_differences(fresh_engine, SQLModel.metadata)
    assert differences == [], "models and migrations disagree; add a migration for:\n" + "\n".join(map(str, differences))


def test_a_column_added_without_a_migration_is_noticed(fresh_engine):
    upgrade_to_head(fresh_engine)
    changed = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["notification"].append_column(sa.Column("favourite_colour", sa.String(20), nullable=True))

    differences = schema_differences(fresh_engine, changed)
    assert [(d[0], d[2], d[3].name) for d in differences if d[0] == "add_column"] == [
        ("add_column", "notification", "favourite_colour")
    ]
