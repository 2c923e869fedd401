"""GET /v1/candidates/{email}/export: a zip of data.json (every row held) and mail.mbox
(every kept message), readable with the standard library."""

from __future__ import annotations

import io
import json
import mailbox
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import auth, new_api_key
from tests.privacy.holdings import ADA, GRACE, make_holdings


def _export(client: TestClient, token: str, email: str) -> zipfile.ZipFile:
    response = client.get(f"/v1/candidates/{email}/export", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_holds_their_declines_and_every_kept_message(
    client: TestClient, token: str, tmp_path: Path
) -> None:
    ada = make_holdings(client, token, ADA, key="ada-1")
    make_holdings(client, token, GRACE, key="grace-1")

    archive = _export(client, token, "Ada@Home.Example")

    assert sorted(archive.namelist()) == ["data.json", "mail.mbox"]
    data = json.loads(archive.read("data.json"))
    (decline,) = data["declines"]
    assert decline["id"] == ada.decline["id"]
    assert decline["candidate_email"] == "ada@home.example"
    assert [c["email"] for c in decline["contacts"]] == [c["email"] for c in ADA["contacts"]]
    assert {m["envelope_to"] for m in decline["messages"]} == {c["email"] for c in ADA["contacts"]}
    assert all("raw" not in m for m in decline["messages"])  # the bytes are in mail.mbox
    assert [i["classification"] for i in decline["inbound"]] == ["reply"]
    assert [c["outcome"] for c in decline["calls"]] == ["no_answer"]
    assert len(decline["follow_ups"]) == 2
    assert "grace" not in archive.read("data.json").decode().casefold()

    path = tmp_path / "mail.mbox"
    path.write_bytes(archive.read("mail.mbox"))
    messages = list(mailbox.mbox(path))
    assert len(messages) == 3  # two sent, one reply
    assert {m["To"] for m in messages[:2]} >= {"Charles Babbage <charles@engines.example>"}
    assert messages[-1]["From"] == "Charles Babbage <charles@engines.example>"
    for raw in ada.raws:
        assert raw.replace(b"\r\n", b"\n").split(b"\n\n")[0] in path.read_bytes().replace(
            b"\r\n", b"\n"
        )


def test_nothing_held_or_another_keys_candidate_is_404(
    client: TestClient, token: str, database_url: str
) -> None:
    make_holdings(client, token, ADA, key="ada-1")
    other = new_api_key(database_url, name="other")
    for who, email in ((token, "nobody@home.example"), (other, "ada@home.example")):
        response = client.get(f"/v1/candidates/{email}/export", headers=auth(who))
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
