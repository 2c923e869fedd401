from sqlalchemy import inspect

from tests.conftest import Engine


def test_migrations_create_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {
        "api_keys",
        "declines",
        "contacts",
        "messages",
        "follow_ups",
        "idempotency_keys",
    } <= tables


def test_models_and_migrations_agree(engine: Engine) -> None:
    """A model change without its migration fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
