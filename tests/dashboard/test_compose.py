"""Compose: the form <-> DeclineCreate mapping (pure, table-driven), and the page over HTTP:
preview with and without JavaScript, sending, the API's errors, CSRF, XSS, double submits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import func, select
from sqlmodel import col

from service.auth import api_keys
from service.core.db import session_scope
from service.dashboard import compose_form, owner
from service.dashboard.security import CSP_MESSAGE_VIEW
from service.declines import service as declines
from service.declines.schemas import DeclineCreate
from service.models import ApiKey, Contact, Decline
from tests.dashboard.conftest import Dashboard
from tests.factories import auth, decline_body
from tests.waiting import wait_until

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

# --- the mapping, without HTTP --------------------------------------------------------------

VALID: dict[str, str] = {
    "company": "Analytical Engines Ltd",
    "job_title": "Principal Engineer",
    "requisition_id": "REQ-1843",
    "reason": "none",
    "round": "first",
    "candidate_name": "Ada Lovelace",
    "candidate_email": "ada@home.example",
    "candidate_phone": "+44 20 7946 0958",
    "contacts-0-name": "Charles Babbage",
    "contacts-0-email": "charles@engines.example",
    "contacts-0-phone": "+44 20 7946 0000",
    "contacts-0-role": "recruiter",
    "contacts-1-name": "Mary Somerville",
    "contacts-1-email": "mary@engines.example",
    "contacts-1-role": "hiring_manager",
}


def form(**overrides: str) -> dict[str, str]:
    values = compose_form.blank(**VALID)
    values.update({key.replace("__", "-"): value for key, value in overrides.items()})
    return values


PAYLOAD_CASES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    (
        "the base form is the API's base body",
        {},
        {
            "candidate": {
                "name": "Ada Lovelace",
                "email": "ada@home.example",
                "phone": "+44 20 7946 0958",
            },
            "company": "Analytical Engines Ltd",
            "job_title": "Principal Engineer",
            "requisition_id": "REQ-1843",
            "reason": "none",
            "round": "first",
            "contacts": [
                {
                    "name": "Charles Babbage",
                    "email": "charles@engines.example",
                    "phone": "+44 20 7946 0000",
                    "role": "recruiter",
                },
                {
                    "name": "Mary Somerville",
                    "email": "mary@engines.example",
                    "role": "hiring_manager",
                },
            ],
        },
    ),
    (
        "blank optional fields are left out, blank required ones sent empty",
        {"requisition_id": "  ", "candidate_phone": "", "company": ""},
        {"company": "", "candidate": {"name": "Ada Lovelace", "email": "ada@home.example"}},
    ),
    (
        "a referral is its fields plus the checkbox",
        {
            "referral_name": "Grace Hopper",
            "referral_email": "g@p.example",
            "referral_permission": "yes",
        },
        {
            "referral": {
                "name": "Grace Hopper",
                "email": "g@p.example",
                "permission_confirmed": True,
            }
        },
    ),
    (
        "a referral without the checkbox is sent unconfirmed",
        {"referral_name": "Grace Hopper"},
        {"referral": {"name": "Grace Hopper", "email": "", "permission_confirmed": False}},
    ),
    (
        "future interest is the checkbox, with the area when given",
        {"future_interest": "on", "functional_area": "platform"},
        {"future_interest": {"functional_area": "platform"}},
    ),
    (
        "an area without the checkbox says nothing",
        {"functional_area": "platform"},
        {},
    ),
    (
        "local times are read in the candidate's zone",
        {"candidate_timezone": "Europe/Paris", "interview_at": "2030-06-03T10:00"},
        {"interview_at": "2030-06-03T10:00:00+02:00"},
    ),
    (
        "else in the service's zone (here New York)",
        {"invitation_received_at": "2030-01-10T09:30"},
        {"invitation_received_at": "2030-01-10T09:30:00-05:00"},
    ),
    (
        "an invalid candidate zone does not stop the time being read",
        {"candidate_timezone": "Mars/Olympus", "interview_at": "2030-01-10T09:30"},
        {"interview_at": "2030-01-10T09:30:00-05:00"},
    ),
    (
        "a time that is not one goes to the model as typed",
        {"interview_at": "next tuesday"},
        {"interview_at": "next tuesday"},
    ),
    (
        "numbers go as typed; the model parses them",
        {"follow_up_business_days": " 3 "},
        {"follow_up_business_days": "3"},
    ),
]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [case[1:] for case in PAYLOAD_CASES],
    ids=[case[0] for case in PAYLOAD_CASES],
)
def test_form_to_payload(overrides: dict[str, str], expected: dict[str, Any]) -> None:
    payload, _ = compose_form.to_payload(form(**overrides), default_zone="America/New_York")
    for key, value in expected.items():
        assert payload[key] == value, key
    if "functional_area" in overrides and "future_interest" not in overrides:
        assert "future_interest" not in payload
    if overrides.get("requisition_id", "x").strip() == "":
        assert "requisition_id" not in payload


def test_empty_contact_rows_are_ignored_and_rows_are_remembered() -> None:
    values = form(
        contacts__0__name="",
        contacts__0__email="",
        contacts__0__phone="",
        contacts__3__name="Late Row",
        contacts__3__email="late@engines.example",
    )
    payload, rows = compose_form.to_payload(values, default_zone="UTC")
    assert [c["name"] for c in payload["contacts"]] == ["Mary Somerville", "Late Row"]
    assert rows == (1, 3)
    assert payload["contacts"][1]["role"] == "other"  # the select's default


ERROR_CASES: list[tuple[str, dict[str, str], str, str, str]] = [
    # (id, overrides, API path, form field, start of the API's message)
    ("bad email", {"candidate_email": "nope"}, "candidate.email", "candidate_email", "'nope' is"),
    ("empty company", {"company": " "}, "company", "company", "must not be empty"),
    (
        "no contacts",
        {f"contacts__{r}__{f}": "" for r in (0, 1) for f in ("name", "email", "phone")},
        "contacts",
        "contacts",
        "List should have at least 1 item",
    ),
    (
        "referral without permission",
        {"referral_name": "Grace", "referral_email": "grace@p.example"},
        "referral.permission_confirmed",
        "referral_permission",
        "a referral needs that person's permission first",
    ),
    (
        "a contact row's error maps to its row, not its index",
        {
            "contacts__0__name": "",
            "contacts__0__email": "",
            "contacts__0__phone": "",
            "contacts__2__name": "X",
            "contacts__2__email": "bad@",
        },
        "contacts[1].email",
        "contacts-2-email",
        "'bad@' is not a valid email address",
    ),
    (
        "a repeated address names the later row",
        {"contacts__1__email": "CHARLES@engines.example"},
        "",
        "contacts-1-email",
        "contacts[1].email CHARLES@engines.example repeats contacts[0]",
    ),
    ("bad phone", {"contacts__0__phone": "12"}, "contacts[0].phone", "contacts-0-phone", "'12'"),
    (
        "bad zone",
        {"candidate_timezone": "Mars/Olympus"},
        "candidate.timezone",
        "candidate_timezone",
        "'Mars/Olympus' is not a known IANA time zone",
    ),
    (
        "bad role",
        {"contacts__1__role": "boss"},
        "contacts[1].role",
        "contacts-1-role",
        "Input should be",
    ),
    (
        "bad days",
        {"follow_up_business_days": "99"},
        "follow_up_business_days",
        "follow_up_business_days",
        "Input should be less than or equal to 30",
    ),
    ("bad time", {"interview_at": "soon"}, "interview_at", "interview_at", "Input should be"),
    (
        "CRLF in a header value",
        {"company": "A\r\nBcc: x@y.example"},
        "company",
        "company",
        "must be a single line",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "path", "field", "message"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_errors_carry_the_apis_path_and_words_and_their_field(
    overrides: dict[str, str], path: str, field: str, message: str
) -> None:
    parsed = compose_form.parse(form(**overrides), default_zone="UTC")
    assert parsed.request is None
    found = [e for e in parsed.errors if e.field == field]
    assert found, parsed.errors
    assert found[0].path == path
    assert found[0].message.startswith(message), found[0].message
    assert compose_form.errors_by_field(parsed.errors)[field]


def test_a_valid_form_is_the_same_request_as_the_api_body() -> None:
    parsed = compose_form.parse(form(), default_zone="UTC")
    assert parsed.errors == ()
    assert parsed.request == DeclineCreate.model_validate(decline_body())


ROUND_TRIPS = [
    decline_body(),
    decline_body(
        reason="timing",
        round="follow_up",
        referral={"name": "Grace", "email": "g@p.example", "permission_confirmed": True},
        future_interest={"functional_area": "compilers"},
        interview_at="2030-06-03T08:00:00Z",
        invitation_received_at="2030-05-30T07:15:30Z",
        invitation_message_id="<abc@mail.example>",
        follow_up_business_days=4,
        candidate={"name": "Ada", "email": "ada@home.example", "timezone": "Europe/Paris"},
    ),
    decline_body(future_interest={}, requisition_id=None),
]


@pytest.mark.parametrize("body", ROUND_TRIPS, ids=["base", "everything", "bare interest"])
def test_to_form_then_parse_gives_the_request_back(body: dict[str, Any]) -> None:
    request = DeclineCreate.model_validate(body)
    values = compose_form.to_form(request, default_zone="America/New_York")
    assert compose_form.parse(values, default_zone="America/New_York").request == request


def test_form_values_keeps_known_fields_and_reads_checkboxes() -> None:
    values = compose_form.form_values(
        {"company": "A", "evil": "x", "referral_permission": "on", "future_interest": "no"}
    )
    assert values["company"] == "A" and "evil" not in values
    assert values["referral_permission"] == "yes" and values["future_interest"] == ""
    assert values["contacts-0-role"] == "recruiter" and values["reason"] == "none"


def test_labels_name_the_row_as_people_count() -> None:
    assert compose_form.label_for("contacts-2-timezone") == "Contact 3 time zone"
    assert compose_form.label_for("candidate_email") == "Your email"
    assert compose_form.label_for(None) == "Request"


def test_the_dashboard_key_hash_is_no_tokens_hash() -> None:
    assert not owner._LABEL.startswith(api_keys.PREFIX)  # authenticate() never hashes it
    assert len(owner.KEY_HASH) == 64


# --- over HTTP ------------------------------------------------------------------------------


def post(dash: Dashboard, url: str, **data: str) -> httpx.Response:
    """A browser's form submission (no JavaScript), with the session's CSRF token."""
    return dash.client.post(url, data={"csrf_token": dash.csrf, **data}, follow_redirects=False)


def send_form(**overrides: str) -> dict[str, str]:
    return {**form(**overrides), "action": "confirm"}


def decline_count(dash: Dashboard) -> int:
    with session_scope(dash.client.app.state.engine) as db:  # type: ignore[attr-defined]
        return int(db.scalar(select(func.count()).select_from(Decline)) or 0)


def form_token(text: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', text)
    assert match, "the form carries its token"
    return match.group(1)


def capture_files(dash: Dashboard) -> list[Path]:
    return sorted(Path(dash.settings.mail_capture_dir).glob("*.eml"))


def api_errors(dash: Dashboard, values: dict[str, str]) -> list[dict[str, Any]]:
    """What the API says about the same input."""
    payload, _ = compose_form.to_payload(values, default_zone=dash.settings.timezone)
    response = dash.client.post("/v1/declines", json=payload, headers=auth(dash.token))
    assert response.status_code == 422, response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


def test_the_form_has_every_field_label_and_both_buttons(dashboard: Dashboard) -> None:
    response = dashboard.client.get("/dashboard/compose")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP_MESSAGE_VIEW
    text = response.text
    for name in compose_form.FIELDS:
        assert f'name="{name}"' in text, name
        assert f'<label for="{name}"' in text, name  # every control has its label
    assert '<button type="submit" name="action" value="preview"' in text
    assert re.search(
        r'<button type="submit" name="action" value="send" class="primary">Send<', text
    )
    assert f'name="csrf_token" value="{dashboard.csrf}"' in text
    assert 'hx-post="/dashboard/compose/preview"' in text and 'hx-target="#preview"' in text
    assert 'aria-current="page">Compose<' in text
    assert 'type="email"' not in text  # the server validates, as the API does


def test_preview_without_javascript_keeps_the_values_and_shows_each_email(
    dashboard: Dashboard,
) -> None:
    response = post(dashboard, "/dashboard/compose", **form(), action="preview")
    assert response.status_code == 200
    text = response.text
    assert response.headers["content-security-policy"] == CSP_MESSAGE_VIEW
    assert 'value="Analytical Engines Ltd"' in text and 'value="mary@engines.example"' in text
    assert text.count("Interview invitation: Principal Engineer (REQ-1843)") == 2
    assert text.count('<iframe class="mail" sandbox srcdoc=') == 2
    assert "Charles Babbage &lt;charles@engines.example&gt;" in text
    assert "Call script, if Mary Somerville does not reply" in text
    assert text.count("Voicemail, for the last call attempt only") == 2
    assert "call me back on" in text
    assert decline_count(dashboard) == 0 and capture_files(dashboard) == []


def test_live_preview_is_a_fragment_for_htmx(dashboard: Dashboard) -> None:
    headers = {"HX-Request": "true", "X-CSRF-Token": dashboard.csrf}
    response = dashboard.client.post("/dashboard/compose/preview", data=form(), headers=headers)
    assert response.status_code == 200
    assert "<html" not in response.text and "<iframe" in response.text
    assert response.text.count("Interview invitation: Principal Engineer") == 2
    # An incomplete form answers 200 too (htmx swaps only 2xx) with what is left to fix.
    partial = dashboard.client.post(
        "/dashboard/compose/preview", data=form(company="", candidate_email="x"), headers=headers
    )
    assert partial.status_code == 200 and "<iframe" not in partial.text
    assert "Company: must not be empty" in partial.text
    # The last good preview stays on screen: only the list of problems is swapped in.
    assert partial.headers["HX-Reswap"] == "none"
    assert '<div id="preview-problems" hx-swap-oob="true"' in partial.text
    assert "HX-Reswap" not in response.headers
    assert decline_count(dashboard) == 0


def test_a_company_named_like_a_script_stays_text_in_the_preview(dashboard: Dashboard) -> None:
    values = form(company=SCRIPT, contacts__0__name=IMG)
    for response in (
        post(dashboard, "/dashboard/compose", **values, action="preview"),
        dashboard.client.post(
            "/dashboard/compose/preview",
            data=values,
            headers={"HX-Request": "true", "X-CSRF-Token": dashboard.csrf},
        ),
    ):
        text = response.text
        assert response.status_code == 200
        assert SCRIPT not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # shown, as text
        # In the iframe's srcdoc the email's own escaping is escaped once more.
        assert "&amp;lt;script&amp;gt;" in text


def test_send_creates_the_decline_sends_its_emails_and_shows_it(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/dashboard/compose").text
    values = send_form(
        candidate_timezone="Europe/Paris",
        interview_at="2030-06-03T10:00",
        referral_name="Grace Hopper",
        referral_email="grace@personal.example",
        referral_permission="yes",
    )
    token = form_token(page)
    # Send asks first, naming who gets what; nothing is sent until it is confirmed.
    asked = post(dashboard, "/dashboard/compose", **{**values, "action": "send"}, form_token=token)
    assert asked.status_code == 200 and decline_count(dashboard) == 0
    assert "<h2>Send 2 emails now?</h2>" in asked.text
    assert 'Charles Babbage <span class="muted">&lt;charles@engines.example&gt;' in asked.text
    assert '<button type="submit" name="action" value="confirm" class="primary">' in asked.text
    assert capture_files(dashboard) == []
    response = post(dashboard, "/dashboard/compose", **values, form_token=token)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.fullmatch(r"/dashboard/declines/([0-9a-f-]{36})", location)
    assert match
    decline_id = match.group(1)

    wait_until(lambda: len(capture_files(dashboard)) == 2, "both emails in the capture dir")
    written = b"".join(path.read_bytes() for path in capture_files(dashboard))
    assert b"charles@engines.example" in written and b"mary@engines.example" in written
    assert b"Grace Hopper" in written

    with session_scope(dashboard.client.app.state.engine) as db:  # type: ignore[attr-defined]
        decline = db.get(Decline, decline_id)
        assert decline is not None
        key = db.get(ApiKey, decline.api_key_id)
        assert key is not None and key.name == "dashboard" and key.key_hash == owner.KEY_HASH
        assert decline.request["interview_at"] == "2030-06-03T08:00:00Z"  # Paris, in UTC
        # The dashboard's key lists it like any API client's would.
        rows, _ = declines.list_page(
            session=db,
            api_key=key,
            status_filter=None,
            company=None,
            contact_email=None,
            cursor=None,
            limit=10,
        )
        assert [d.id for d in rows] == [decline_id]
        emails = db.scalars(
            select(col(Contact.email))
            .where(col(Contact.decline_id) == decline_id)
            .order_by(col(Contact.position))
        ).all()
        assert emails == ["charles@engines.example", "mary@engines.example"]
    # Not another API key's: its owner is the dashboard.
    listed = dashboard.client.get("/v1/declines", headers=auth(dashboard.token)).json()
    assert listed["items"] == []
    # The next form starts with the same candidate.
    again = dashboard.client.get("/dashboard/compose").text
    assert 'name="candidate_name" value="Ada Lovelace"' in again


def test_a_double_submit_sends_one_decline(dashboard: Dashboard) -> None:
    token = form_token(dashboard.client.get("/dashboard/compose").text)
    first = post(dashboard, "/dashboard/compose", **send_form(), form_token=token)
    second = post(dashboard, "/dashboard/compose", **send_form(), form_token=token)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert decline_count(dashboard) == 1
    # The same token with other values is refused, renewed, and nothing more is sent.
    changed = post(
        dashboard, "/dashboard/compose", **send_form(job_title="Another Role"), form_token=token
    )
    assert changed.status_code == 409
    assert "This form was already sent" in changed.text
    assert form_token(changed.text) != token
    assert 'value="Another Role"' in changed.text
    assert decline_count(dashboard) == 1


def test_two_forms_send_two_declines_under_one_dashboard_key(dashboard: Dashboard) -> None:
    for _ in range(2):
        token = form_token(dashboard.client.get("/dashboard/compose").text)
        response = post(dashboard, "/dashboard/compose", **send_form(), form_token=token)
        assert response.status_code == 303
    assert decline_count(dashboard) == 2
    with session_scope(dashboard.client.app.state.engine) as db:  # type: ignore[attr-defined]
        keys = db.scalars(select(ApiKey).where(col(ApiKey.name) == "dashboard")).all()
        assert len(keys) == 1
        assert owner.dashboard_key(db).id == keys[0].id


INVALID = {
    "bad email": {"candidate_email": "ada-at-home"},
    "no contacts": {f"contacts__{r}__{f}": "" for r in (0, 1) for f in ("name", "email", "phone")},
    "referral without permission": {"referral_name": "Grace", "referral_email": "g@p.example"},
    "several at once": {"company": "", "contacts__1__email": "nope", "contacts__0__phone": "12"},
}


@pytest.mark.parametrize("overrides", list(INVALID.values()), ids=list(INVALID))
def test_invalid_input_shows_the_apis_messages_at_their_fields_and_creates_nothing(
    dashboard: Dashboard, overrides: dict[str, str]
) -> None:
    values = form(**overrides)
    expected = api_errors(dashboard, values)
    assert expected
    response = post(dashboard, "/dashboard/compose", **values, action="send")
    assert response.status_code == 422
    text = response.text
    assert 'role="alert"' in text and "to fix before sending" in text
    parsed = compose_form.parse(values, default_zone=dashboard.settings.timezone)
    assert sorted(e.api_text for e in parsed.errors) == sorted(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in expected
    )
    for error in expected:
        assert str(escape(error["message"])) in text, error
    for error in parsed.errors:
        assert error.field
        assert f'id="{error.field}-error"' in text
        if error.field != "contacts":
            control = re.search(rf'<(input|select) [^>]*id="{error.field}"[^>]*>', text)
            assert control, error.field
            assert 'aria-invalid="true"' in control.group(0)
            assert f"{error.field}-error" in control.group(0)  # aria-describedby
    assert decline_count(dashboard) == 0 and capture_files(dashboard) == []


def test_forms_without_the_csrf_token_are_refused_and_create_nothing(
    dashboard: Dashboard,
) -> None:
    for url in ("/dashboard/compose", "/dashboard/compose/preview"):
        response = dashboard.client.post(url, data=send_form(), follow_redirects=False)
        assert response.status_code == 403, url
        forged = dashboard.client.post(
            url, data={**send_form(), "csrf_token": "forged"}, follow_redirects=False
        )
        assert forged.status_code == 403, url
    assert decline_count(dashboard) == 0


def test_compose_needs_a_session(dashboard: Dashboard) -> None:
    dashboard.post("/dashboard/logout")
    response = dashboard.client.get("/dashboard/compose", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?next=/dashboard/compose"
    refused = dashboard.client.post("/dashboard/compose", data=send_form(), follow_redirects=False)
    assert refused.status_code == 303 and decline_count(dashboard) == 0
