"""The dashboard's actions over HTTP: each changes what the API shows, refuses a form without
the CSRF token, and answers a plain form with a redirect and htmx with a fragment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service.dashboard.pages.actions import after
from tests.dashboard.conftest import Dashboard
from tests.factories import auth, decline_body
from tests.inbound.mail import bounce
from tests.waiting import wait_settled, wait_until

RFC822 = {"Content-Type": "message/rfc822"}


def create(dash: Dashboard, *, settle: bool = True) -> dict[str, Any]:
    response = dash.client.post("/v1/declines", json=decline_body(), headers=auth(dash.token))
    assert response.status_code == 201, response.text
    body = response.json()
    return wait_settled(dash.client, dash.token, body["id"]) if settle else body


def state(dash: Dashboard, decline_id: str) -> dict[str, Any]:
    response = dash.client.get(f"/v1/declines/{decline_id}", headers=auth(dash.token))
    assert response.status_code == 200
    return response.json()


def bounced(dash: Dashboard, status: str = "5.1.1") -> dict[str, Any]:
    """A decline whose second contact's email bounced (by default: no such user)."""
    decline = create(dash)
    mary = decline["contacts"][1]
    raw = dash.client.get(f"/v1/messages/{mary['message']['id']}/raw", headers=auth(dash.token))
    report = bounce(raw.content, recipient="mary@engines.example", status=status)
    inbound = dash.client.post("/v1/inbound", content=report, headers=auth(dash.token) | RFC822)
    assert inbound.json()["classification"] == "bounce"
    after_bounce = state(dash, decline["id"])
    assert after_bounce["contacts"][1]["message"]["status"] == "bounced"
    return after_bounce


def stuck(dash: Dashboard) -> dict[str, Any]:
    """A decline whose emails cannot be written (the capture directory is a file): they stay
    queued, retried later."""
    dash.settings.mail_capture_dir.write_text("not a directory")
    decline = create(dash, settle=False)

    def tried() -> bool:
        contacts = state(dash, decline["id"])["contacts"]
        return all(c["message"]["attempts"] >= 1 for c in contacts) and all(
            c["message"]["status"] == "queued" for c in contacts
        )

    wait_until(tried, "a first failed attempt")
    return state(dash, decline["id"])


def htmx(contact_id: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": f"contact-{contact_id}"}


# --- each action, as a plain form ---------------------------------------------------------


def test_logging_a_call_redirects_to_the_decline_and_reschedules_no_answer(
    dashboard: Dashboard,
) -> None:
    decline = create(dashboard)
    mary = decline["contacts"][1]
    response = dashboard.post(
        f"/dashboard/contacts/{mary['id']}/calls", outcome="no_answer", notes="rang out"
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/dashboard/declines/{decline['id']}?done=call#contact-{mary['id']}"
    )
    follow_up = state(dashboard, decline["id"])["contacts"][1]["follow_up"]
    assert follow_up["call_attempts"] == 1 and follow_up["status"] == "scheduled"
    page = dashboard.client.get(response.headers["location"]).text
    assert "Call logged." in page and "rang out" in page
    reached = dashboard.post(f"/dashboard/contacts/{mary['id']}/calls", outcome="reached")
    assert reached.status_code == 303
    assert state(dashboard, decline["id"])["contacts"][1]["follow_up"]["status"] == "done"


def test_a_call_form_returns_to_a_safe_next_only(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    contact = decline["contacts"][0]
    url = f"/dashboard/contacts/{contact['id']}/calls"
    home = dashboard.post(url, outcome="no_answer", next="/dashboard/")
    assert home.headers["location"] == "/dashboard/?done=call"
    reply = f"/dashboard/contacts/{contact['id']}/reply"  # may be repeated, unlike calls
    for evil in (
        "https://evil.example/",
        "//evil.example/dashboard/",
        "/dashboard/\\evil",
        "/dashboard//evil.example",
        "/dashboard/\r\nSet-Cookie: x=1",
        "/elsewhere/",
    ):
        response = dashboard.post(reply, next=evil)
        assert response.headers["location"].startswith(f"/dashboard/declines/{decline['id']}?")
    assert (
        after("/dashboard/calls?page=2#x", "d", None, "call")
        == "/dashboard/calls?page=2&done=call#x"
    )


def test_a_call_needs_a_known_outcome_and_an_open_follow_up(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    contact = decline["contacts"][0]
    url = f"/dashboard/contacts/{contact['id']}/calls"
    bad = dashboard.post(url, outcome="shouted")
    assert bad.status_code == 422 and "Choose how the call went" in bad.text
    too_long = dashboard.post(url, outcome="reached", notes="x" * 2001)
    assert too_long.status_code == 422
    assert dashboard.post(url, outcome="reached").status_code == 303
    closed = dashboard.post(url, outcome="reached")
    assert closed.status_code == 409
    assert "<h1>Conflict</h1>" in closed.text and "follow-up is closed" in closed.text
    assert state(dashboard, decline["id"])["contacts"][0]["follow_up"]["call_attempts"] == 1
    missing = dashboard.post("/dashboard/contacts/nope/calls", outcome="reached")
    assert missing.status_code == 404


def test_mark_replied_closes_the_call(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    charles = decline["contacts"][0]
    response = dashboard.post(f"/dashboard/contacts/{charles['id']}/reply", notes="by phone")
    assert response.status_code == 303
    assert "done=replied" in response.headers["location"]
    contact = state(dashboard, decline["id"])["contacts"][0]
    assert contact["replied_at"] is not None and contact["follow_up"]["status"] == "canceled"
    assert state(dashboard, decline["id"])["contacts"][1]["follow_up"]["status"] == "scheduled"
    page = dashboard.client.get(response.headers["location"]).text
    assert "Marked as replied by hand" in page and "by phone" in page


def test_retry_sends_a_bounced_message_again(dashboard: Dashboard) -> None:
    decline = bounced(dashboard, status="5.2.2")  # the mailbox was full: it may clear
    mary = decline["contacts"][1]
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    assert f'action="/dashboard/messages/{mary["message"]["id"]}/retry"' in page
    response = dashboard.post(f"/dashboard/messages/{mary['message']['id']}/retry")
    assert response.status_code == 303
    assert "done=retried" in response.headers["location"]
    status = state(dashboard, decline["id"])["contacts"][1]["message"]["status"]
    assert status in ("queued", "sending", "sent")  # the outbox was woken: it may be out
    settled = wait_settled(dashboard.client, dashboard.token, decline["id"])
    assert settled["contacts"][1]["message"]["status"] == "sent"
    assert settled["contacts"][1]["message"]["attempts"] == 2
    again = dashboard.post(f"/dashboard/messages/{mary['message']['id']}/retry")
    assert again.status_code == 409 and "only a failed or bounced message" in again.text


def test_an_address_that_does_not_exist_is_corrected_not_retried(dashboard: Dashboard) -> None:
    decline = bounced(dashboard)
    mary = decline["contacts"][1]
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    section = page[page.index(f'id="contact-{mary["id"]}"') :]
    assert f"/dashboard/messages/{mary['message']['id']}/retry" not in section
    assert f'action="/dashboard/contacts/{mary["id"]}/edit"' in section
    assert f'name="email" value="{mary["email"]}"' in section

    refused = dashboard.post(f"/dashboard/messages/{mary['message']['id']}/retry")
    assert refused.status_code == 409 and "cannot arrive there" in refused.text
    assert state(dashboard, decline["id"])["contacts"][1]["message"]["status"] == "bounced"


def test_stopping_follow_ups_after_sending_says_what_it_can_and_cannot_do(
    dashboard: Dashboard,
) -> None:
    decline = create(dashboard)  # both emails sent: calls scheduled
    ask = dashboard.client.get(f"/dashboard/declines/{decline['id']}/stop").text
    assert "<h1>Stop follow-ups?</h1>" in ask
    assert "Emails already sent stay sent" in ask
    assert "You will not be reminded to call Charles Babbage, Mary Somerville." in ask
    assert ">Yes, stop follow-ups</button>" in ask
    stopped = dashboard.post(f"/dashboard/declines/{decline['id']}/cancel")
    assert stopped.status_code == 303
    after = state(dashboard, decline["id"])
    assert {c["message"]["status"] for c in after["contacts"]} == {"sent"}
    assert {c["follow_up"]["status"] for c in after["contacts"]} == {"canceled"}


def test_cancel_a_queued_message_then_the_decline(dashboard: Dashboard) -> None:
    decline = stuck(dashboard)
    charles, mary = decline["contacts"]
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    assert ">Cancel sending</button>" in page
    response = dashboard.post(f"/dashboard/messages/{charles['message']['id']}/cancel")
    assert response.status_code == 303 and "done=message_canceled" in response.headers["location"]
    after_one = state(dashboard, decline["id"])
    assert after_one["contacts"][0]["message"]["status"] == "canceled"
    assert after_one["contacts"][1]["message"]["status"] == "queued"

    # Nothing has left yet: it is a cancel, and the page asks first, saying what it stops.
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    assert f'href="/dashboard/declines/{decline["id"]}/stop">Cancel decline…</a>' in page
    ask = dashboard.client.get(f"/dashboard/declines/{decline['id']}/stop").text
    assert "<h1>Cancel decline?</h1>" in ask and "cannot be undone" in ask
    assert "The email to Mary Somerville &lt;mary@engines.example&gt; has not left yet" in ask
    assert "Charles Babbage &lt;" not in ask  # his was canceled already
    assert "already sent" not in ask
    assert f'action="/dashboard/declines/{decline["id"]}/cancel"' in ask
    assert ">Yes, cancel decline</button>" in ask
    assert state(dashboard, decline["id"])["canceled_at"] is None  # asking changes nothing

    canceled = dashboard.post(f"/dashboard/declines/{decline['id']}/cancel")
    assert canceled.status_code == 303
    assert canceled.headers["location"] == f"/dashboard/declines/{decline['id']}?done=canceled"
    final = state(dashboard, decline["id"])
    assert final["status"] == "canceled" and final["canceled_at"] is not None
    assert {c["message"]["status"] for c in final["contacts"]} == {"canceled"}
    assert {c["follow_up"]["status"] for c in final["contacts"]} == {"canceled"}
    page = dashboard.client.get(canceled.headers["location"]).text
    assert "Follow-ups stopped" in page
    assert "/stop" not in page and ">No answer</button>" not in page
    again_ask = dashboard.client.get(f"/dashboard/declines/{decline['id']}/stop").text
    assert "already stopped" in again_ask and "/cancel" not in again_ask
    assert ">Cancel sending</button>" not in page
    again = dashboard.post(f"/dashboard/messages/{mary['message']['id']}/cancel")
    assert again.status_code == 409


# --- htmx ---------------------------------------------------------------------------------


def test_htmx_actions_swap_the_contact_section(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    charles, mary = decline["contacts"]
    client = dashboard.client
    call = client.post(
        f"/dashboard/contacts/{mary['id']}/calls",
        data={"outcome": "no_answer", "notes": "busy"},
        headers=htmx(mary["id"]) | {"X-CSRF-Token": dashboard.csrf},
    )
    assert call.status_code == 200
    assert call.text.lstrip().startswith(f'<section class="card contact" id="contact-{mary["id"]}"')
    assert "<html" not in call.text
    assert (
        "Call logged." in call.text and '<span class="chip no_answer">no answer</span>' in call.text
    )
    assert f'name="csrf_token" value="{dashboard.csrf}"' in call.text  # its forms still work

    reply = client.post(
        f"/dashboard/contacts/{charles['id']}/reply",
        data={"csrf_token": dashboard.csrf},
        headers=htmx(charles["id"]),
    )
    assert reply.status_code == 200 and "Marked as replied" in reply.text
    assert ">Mark replied</button>" not in reply.text

    # A refusal comes back as the section with the reason, which htmx swaps in.
    refused = client.post(
        f"/dashboard/contacts/{charles['id']}/calls",
        data={"outcome": "reached", "csrf_token": dashboard.csrf},
        headers=htmx(charles["id"]),
    )
    assert refused.status_code == 200
    assert (
        '<p class="error" role="alert">' in refused.text and "follow-up is closed" in refused.text
    )


def test_htmx_from_elsewhere_is_redirected(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    contact = decline["contacts"][0]
    call = dashboard.client.post(
        f"/dashboard/contacts/{contact['id']}/calls",
        data={"outcome": "no_answer", "csrf_token": dashboard.csrf, "next": "/dashboard/"},
        headers={"HX-Request": "true", "HX-Target": f"call-{contact['id']}"},
    )
    assert call.status_code == 204 and call.headers["HX-Redirect"] == "/dashboard/?done=call"
    cancel = dashboard.client.post(
        f"/dashboard/declines/{decline['id']}/cancel",
        headers={"HX-Request": "true", "X-CSRF-Token": dashboard.csrf},
    )
    assert cancel.status_code == 204
    assert cancel.headers["HX-Redirect"] == f"/dashboard/declines/{decline['id']}?done=canceled"
    assert state(dashboard, decline["id"])["status"] == "canceled"


# --- CSRF ---------------------------------------------------------------------------------

Action = Callable[[dict[str, Any]], tuple[str, dict[str, str]]]
ACTIONS: dict[str, Action] = {
    "call": lambda d: (
        f"/dashboard/contacts/{d['contacts'][0]['id']}/calls",
        {"outcome": "reached"},
    ),
    "reply": lambda d: (f"/dashboard/contacts/{d['contacts'][0]['id']}/reply", {}),
    "retry": lambda d: (f"/dashboard/messages/{d['contacts'][1]['message']['id']}/retry", {}),
    "cancel message": lambda d: (
        f"/dashboard/messages/{d['contacts'][1]['message']['id']}/cancel",
        {},
    ),
    "cancel decline": lambda d: (f"/dashboard/declines/{d['id']}/cancel", {}),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_refuses_a_form_without_the_csrf_token(
    dashboard: Dashboard, action: str
) -> None:
    decline = bounced(dashboard)  # so that retry, too, would otherwise succeed
    before = state(dashboard, decline["id"])
    url, form = ACTIONS[action](decline)
    for token in ({}, {"csrf_token": "forged"}):
        response = dashboard.client.post(url, data=form | token, follow_redirects=False)
        assert response.status_code == 403, (action, token)
        assert "This form has expired" in response.text
    forged_header = dashboard.client.post(
        url, data=form, headers={"X-CSRF-Token": "forged", "HX-Request": "true"}
    )
    assert forged_header.status_code == 403
    assert state(dashboard, decline["id"]) == before
