"""The decline as a printed letter: one page, the email's words, any name printed right."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from babel.dates import format_date
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.factories import auth, decline_body, new_api_key
from tests.peers import require_tool

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _accepted(client: TestClient, token: str, **overrides: object) -> dict:
    response = client.post("/v1/declines", json=decline_body(**overrides), headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def _letter(client: TestClient, token: str, decline: dict, index: int = 0) -> bytes:
    contact = decline["contacts"][index]["id"]
    response = client.get(
        f"/v1/declines/{decline['id']}/letter.pdf", params={"contact": contact}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _preview_text(client: TestClient, token: str, body: dict, index: int = 0) -> str:
    response = client.post("/v1/declines/preview", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()["messages"][index]["text"]


def _says_what_the_email_says(flat: str, email: str) -> None:
    """The greeting, every paragraph and the sign-off of the email, word for word."""
    greeting, *_ = email.splitlines()
    *paragraphs, closing = [p for p in email.split("\n\n")[1:] if p.strip()]
    assert greeting in flat
    for paragraph in paragraphs:
        assert " ".join(paragraph.split()) in flat
    assert closing.splitlines()[0] + " " in flat  # the sign-off, then the signature


def test_the_letter_says_what_the_email_says_on_one_page(client: TestClient, token: str) -> None:
    body = decline_body(future_interest={"functional_area": "compilers"})
    decline = _accepted(client, token, **body)
    pages, text = _text(_letter(client, token, decline))
    assert pages == 1
    flat = " ".join(text.split())
    _says_what_the_email_says(flat, _preview_text(client, token, body))
    assert "Principal Engineer" in flat and "Analytical Engines Ltd" in flat
    assert "Interview invitation: Principal Engineer (REQ-1843)" in flat  # the subject line
    # Sender block, recipient block, signature.
    assert "ada@home.example" in flat and "+44 20 7946 0958" in flat
    assert "Charles Babbage Recruiter Analytical Engines Ltd" in flat
    assert flat.endswith("Ada Lovelace")  # the signature


def test_names_in_any_alphabet_print_as_written(client: TestClient, token: str) -> None:
    body = decline_body()
    body["candidate"]["name"] = "Łukasz Żółć"
    body["contacts"][0]["name"] = "Zoë Ñúñez"
    decline = _accepted(client, token, **body)
    _, text = _text(_letter(client, token, decline))
    assert "Łukasz Żółć" in text and "Zoë Ñúñez" in text


def test_the_letter_is_in_the_contacts_language(client: TestClient, token: str) -> None:
    body = decline_body(language="de")
    decline = _accepted(client, token, **body)
    _, text = _text(_letter(client, token, decline))
    flat = " ".join(text.split())
    _says_what_the_email_says(flat, _preview_text(client, token, body))
    assert "Charles Babbage Recruiting Analytical Engines Ltd" in flat
    # Dated today, as German writes a date (no time zone given: UTC).
    assert format_date(datetime.now(UTC), "long", locale="de") in flat


def test_unknown_or_foreign_contacts_are_refused(
    client: TestClient, token: str, database_url: str
) -> None:
    first, second = _accepted(client, token), _accepted(client, token)
    url = f"/v1/declines/{first['id']}/letter.pdf"
    unknown = client.get(url, params={"contact": "no-such-contact"}, headers=auth(token))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    foreign = client.get(url, params={"contact": second["contacts"][0]["id"]}, headers=auth(token))
    assert foreign.status_code == 422 and "another decline" in foreign.json()["detail"]
    assert client.get(url, headers=auth(token)).status_code == 422
    other_key = new_api_key(database_url, name="other")
    contact = first["contacts"][0]["id"]
    assert client.get(url, params={"contact": contact}, headers=auth(other_key)).status_code == 404


def test_the_letter_renders_as_a_picture(client: TestClient, token: str, tmp_path: Path) -> None:
    require_tool("pdftoppm", "apt-get install -y poppler-utils")
    body = decline_body(future_interest={"functional_area": "compilers"})
    body["contacts"][0]["name"] = "Zoë Ñúñez"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(_letter(client, token, _accepted(client, token, **body)))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "letter")],
        check=True,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "letter.png", ARTIFACTS / "letter.png")
    assert (ARTIFACTS / "letter.png").stat().st_size > 5000


def test_the_longest_decline_still_fits_one_page(client: TestClient, token: str) -> None:
    from service.declines.validation import PERSONAL_NOTE_MAX

    note = ("I enjoyed every conversation with the team and learned a great deal. " * 20)[
        :PERSONAL_NOTE_MAX
    ].rsplit(" ", 1)[0]
    body = decline_body(
        personal_note=note,
        future_interest={"functional_area": "compilers and programming languages"},
        referral={
            "name": "Grace Hopper",
            "email": "grace@home.example",
            "phone": "+1 212 555 0100",
            "permission_confirmed": True,
            "share_with": [0],
        },
    )
    decline = _accepted(client, token, **body)
    pages, text = _text(_letter(client, token, decline))
    assert pages == 1
    assert "Grace Hopper" in text and note[-30:] in " ".join(text.split())
