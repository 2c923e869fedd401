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
