"""Where the migrations and templates live, in a checkout or in an installed wheel."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE.parent
_BUNDLED = _PACKAGE / "_bundled"


def _first_existing(name: str) -> Path:
    for base in (_CHECKOUT, _BUNDLED):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} not found next to the package or bundled inside it")


def alembic_dir() -> Path:
    return _first_existing("alembic")


def alembic_ini() -> Path:
    return _first_existing("alembic.ini")


def templates_dir() -> Path:
    return _first_existing("templates")
