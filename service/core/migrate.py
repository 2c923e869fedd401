"""Apply Alembic migrations: the only way the schema is created or changed."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from service.core.paths import alembic_dir, alembic_ini


def alembic_config() -> Config:
    config = Config(str(alembic_ini()))
    config.set_main_option("script_location", str(alembic_dir()))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
