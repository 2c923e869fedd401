"""The wheel, installed into a clean virtualenv outside the checkout, starts and sends.

Built from this checkout with uv, installed with the locked dependencies (uv's cache makes
that quick), then run from a folder that knows nothing of the checkout: `decline migrate`,
`decline apikey create`, `decline serve` until /readyz answers, one decline in capture mode.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.factories import auth, decline_body
from tests.peers import free_port, missing_peer
from tests.waiting import wait_until

CHECKOUT = Path(__file__).resolve().parents[2]
# Installing needs every runtime dependency: minutes from a cold uv cache, seconds from a warm one.
INSTALL_TIMEOUT = 900


def _uv() -> str:
    # `uv run` (what `make test` uses) names itself in UV; the Makefile may keep it in .tools.
    found = os.environ.get("UV") or shutil.which("uv") or CHECKOUT / ".tools" / "bin" / "uv"
    if not Path(found).is_file():
        missing_peer("uv (builds and installs the wheel)", "run `make sync`, or pip install uv")
    return str(found)


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything pointing back at the checkout."""
    dropped = ("DECLINE_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return env | extra


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _recipient(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message["To"].addresses[0].addr_spec)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, in a folder outside it."""
    dist = tmp_path_factory.mktemp("dist")
    assert not dist.resolve().is_relative_to(CHECKOUT)
    _run(
        [_uv(), "build", "--wheel", "--out-dir", str(dist), str(CHECKOUT)],
        cwd=dist,
        env=_clean_env(),
    )
    (built,) = dist.glob("decline_service-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with only the built wheel and its locked dependencies."""
    uv, env = _uv(), _clean_env()
    root = tmp_path_factory.mktemp("installed")
    requirements = root / "requirements.txt"
    _run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--project",
            str(CHECKOUT),
            "--output-file",
            str(requirements),
        ],
        cwd=root,
        env=env,
    )
    venv = root / "venv"
    _run([uv, "venv", "--python", sys.executable, str(venv)], cwd=root, env=env)
    _run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            str(requirements),
            str(wheel),
        ],
        cwd=root,
        env=env,
        timeout=INSTALL_TIMEOUT,
    )
    return venv


def test_the_wheel_carries_migrations_templates_and_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = [
        "service/_bundled/alembic.ini",
        "service/_bundled/alembic/env.py",
        "service/_bundled/templates/email/en/decline.txt",
        "service/_bundled/templates/email/en/reminder.html",
        "service/_bundled/templates/dashboard/login.html",
        "service/dashboard/static/htmx.min.js",
        "service/dashboard/static/style.css",
        "service/declines/fonts/DejaVuSerif.ttf",
        "service/declines/fonts/DejaVuSerif-Bold.ttf",
        "service/declines/fonts/LICENSE-DejaVu.txt",
    ]
    expected += [
        f"service/_bundled/alembic/versions/{p.name}"
        for p in (CHECKOUT / "alembic" / "versions").glob("*.py")
    ]
    assert [name for name in expected if name not in names] == []


def test_installed_service_migrates_serves_and_captures_a_decline(
    installed: Path, tmp_path: Path
) -> None:
    bin_dir = installed / "bin"
    work = tmp_path / "work"  # a fresh folder: no checkout, no .env
    work.mkdir()
    capture = work / "mail"
    env = _clean_env(
        DECLINE_DATABASE_URL=f"sqlite:///{work / 'decline.db'}",
        DECLINE_MAIL_CAPTURE_DIR=str(capture),
        DECLINE_SECRET_KEY="wheel-test-secret-wheel-test-secret",
        DECLINE_MAIL_FROM="Declines <declines@mailer.example>",
    )
    where = _run(
        [str(bin_dir / "python"), "-c", "import service; print(service.__file__)"],
        cwd=work,
        env=env,
    )
    assert Path(where.strip()).is_relative_to(installed), "service imported from the checkout"

    _run([str(bin_dir / "decline"), "migrate"], cwd=work, env=env)
    out = _run([str(bin_dir / "decline"), "apikey", "create", "--name", "wheel"], cwd=work, env=env)
    token = out.strip().splitlines()[-1]

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "decline"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, "/readyz of the installed service", timeout=60)
        with httpx.Client(base_url=base, timeout=30) as client:
            login = client.get("/dashboard/login")
            assert login.status_code == 200 and "<form" in login.text
            assert client.get("/dashboard/static/style.css").status_code == 200

            created = client.post("/v1/declines", json=decline_body(), headers=auth(token))
            assert created.status_code == 201, created.text
            decline = created.json()
            letter = client.get(
                f"/v1/declines/{decline['id']}/letter.pdf",
                params={"contact": decline["contacts"][0]["id"]},
                headers=auth(token),
            )
            assert letter.status_code == 200 and letter.content.startswith(b"%PDF"), letter.text

        expected = {c["email"] for c in decline_body()["contacts"]}

        def captured() -> set[str]:
            return {_recipient(path) for path in capture.glob("*.eml")}

        wait_until(lambda: captured() == expected, f"captured .eml files for {expected}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
