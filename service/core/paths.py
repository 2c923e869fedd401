"""Where the migrations and templates live, in an installed wheel or in a checkout.

An installed wheel carries its own copies under `service/_bundled/`. A checkout keeps them
beside the package. In site-packages the folder beside the package is shared with every
other library (`site-packages/alembic` is the Alembic library itself), so that folder is
used only when it is really this project's checkout.
"""

import tomllib
from pathlib import Path

PROJECT_NAME = "decline-service"

_PACKAGE = Path(__file__).resolve().parent.parent


def is_project_checkout(folder: Path) -> bool:
    """Whether `folder` is this project's source tree: its pyproject.toml names the project."""
    try:
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return project.get("project", {}).get("name") == PROJECT_NAME


def resource_bases(package: Path = _PACKAGE) -> list[Path]:
    """The folders that may hold the resources, most trusted first."""
    bases = []
    bundled = package / "_bundled"
    if bundled.is_dir():
        bases.append(bundled)
    if is_project_checkout(package.parent):
        bases.append(package.parent)
    return bases


def find_resource(name: str, package: Path = _PACKAGE) -> Path:
    """The path of `name` (alembic, alembic.ini, templates) for the package at `package`."""
    for base in resource_bases(package):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"{name} not found: neither bundled in {package / '_bundled'} (an installed wheel) "
        f"nor in a {PROJECT_NAME} checkout at {package.parent}"
    )


def alembic_dir() -> Path:
    return find_resource("alembic")


def alembic_ini() -> Path:
    return find_resource("alembic.ini")


def templates_dir() -> Path:
    return find_resource("templates")
