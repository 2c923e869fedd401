"""Which migrations and templates the service loads, laid out as a wheel or as a checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.core import paths


def _package(root: Path) -> Path:
    package = root / "service"
    package.mkdir(parents=True)
    return package


def _alembic_library(site_packages: Path) -> None:
    """What sits beside our package in site-packages: the Alembic library itself."""
    (site_packages / "alembic").mkdir()
    (site_packages / "alembic" / "__init__.py").write_text("")


def test_an_installed_wheel_uses_its_bundled_migrations_not_the_alembic_library(
    tmp_path: Path,
) -> None:
    site_packages = tmp_path / "site-packages"
    package = _package(site_packages)
    _alembic_library(site_packages)
    (package / "_bundled" / "alembic" / "versions").mkdir(parents=True)
    (package / "_bundled" / "templates").mkdir()

    assert paths.find_resource("alembic", package) == package / "_bundled" / "alembic"
    assert paths.find_resource("templates", package) == package / "_bundled" / "templates"


def test_without_a_bundled_copy_a_foreign_folder_beside_the_package_is_refused(
    tmp_path: Path,
) -> None:
    site_packages = tmp_path / "site-packages"
    package = _package(site_packages)
    _alembic_library(site_packages)
    (site_packages / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')

    with pytest.raises(FileNotFoundError, match="alembic not found"):
        paths.find_resource("alembic", package)


def test_a_checkout_of_this_project_uses_its_own_folders(tmp_path: Path) -> None:
    package = _package(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "decline-service"\n')
    (tmp_path / "alembic").mkdir()
    (tmp_path / "alembic.ini").write_text("[alembic]\n")

    assert paths.find_resource("alembic", package) == tmp_path / "alembic"
    assert paths.find_resource("alembic.ini", package) == tmp_path / "alembic.ini"


def test_this_checkout_loads_the_migrations_and_templates_it_holds() -> None:
    checkout = Path(paths.__file__).resolve().parents[2]
    assert paths.alembic_dir() == checkout / "alembic"
    assert (paths.alembic_dir() / "versions" / "0001_initial_schema.py").is_file()
    assert paths.alembic_ini() == checkout / "alembic.ini"
    assert (paths.templates_dir() / "email" / "en" / "decline.txt").is_file()
