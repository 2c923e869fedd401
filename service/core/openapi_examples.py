"""The OpenAPI document's examples, keyed by operation id: a body for every request and 2xx
response, and a problem for every error status.

One story runs through them: Priya Raman declines a Senior Data Engineer interview at
Northwind Analytics; the recruiter is called, then replies. Tests check every example
against its own schema in the document and post createDecline's request to a running
service, so they stay true; a new operation without an entry here fails them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.core.paging import keyset_cursor

Body = dict[str, Any]

DECLINE_ID = "0b6e3c52-8d1f-4c1e-9a57-2f4d6b8e9c10"
CREATED_AT = "2026-12-07T17:02:11.482913Z"
SENT_AT = "2026-12-07T17:02:13.118402Z"
# Two business days later at 09:00 in the candidate's time zone (America/Los_Angeles).
DUE_AT = "2026-12-10T17:00:00Z"

CANDIDATE = {
    "name": "Priya Raman",
    "email": "priya.raman@example.net",
    "phone": "+1 415 555 0142",
    "timezone": "America/Los_Angeles",
}
RECRUITER = {
    "name": "Jordan Lee",
    "email": "jordan.lee@northwind.example",
    "phone": "+1 415 555 0187",
    "role": "recruiter",
}
HIRING_MANAGER = {
    "name": "Sam Ortiz",
    "email": "sam.ortiz@northwind.example",
    "role": "hiring_manager",
}
DECLINE_CREATE: Body = {
    "candidate": CANDIDATE,
    "company": "Northwind Analytics",
    "job_title": "Senior Data Engineer",
    "requisition_id": "NW-2231",
    "reason": "none",
    "round": "first",
    "contacts": [RECRUITER, HIRING_MANAGER],
    "future_interest": {"functional_area": "data engineering"},
}


def _message(number: int, status: str = "sent", **changes: Any) -> Body:
    sent = status == "sent"
    return {
        "id": f"7c41e0a2-5b9d-4f3e-8a61-0d2c9e7b4f0{number}",
        "message_id": f"<17966772{number}1.4821.90417{number}@mail.example>",
        "status": status,
        "attempts": 1 if sent else 0,
        "last_error": None,
        "smtp_reply": f"250 2.0.0 Ok: queued as 4Rk2Tb0Nq{number}z" if sent else None,
        "next_attempt_at": None if sent else CREATED_AT,
        "sent_at": SENT_AT if sent else None,
        **changes,
    }


def _contact(number: int, person: Body, *, message: Body, **follow_up: Any) -> Body:
    return {
        "id": f"5f2a9d4e-1c7b-4e8a-b3d6-9a0e4c2f7b1{number}",
        "name": person["name"],
        "email": person["email"],
        "phone": "+14155550187" if "phone" in person else None,
        "role": person["role"],
        "timezone": None,
        "replied_at": None,
        "message": message,
        "follow_up": {
            "id": f"e81d3f60-2a4c-4b9e-9f17-6c5b0a8d2e3{number}",
            "status": "scheduled",
            "due_at": DUE_AT,
            "call_attempts": 0,
            "away_until": None,
            **follow_up,
        },
    }


def _decline(status: str, contacts: list[Body], **changes: Any) -> Body:
    return {
        "id": DECLINE_ID,
        "status": status,
        "delivery": "smtp",
        "warnings": [],
        "company": DECLINE_CREATE["company"],
        "job_title": DECLINE_CREATE["job_title"],
        "requisition_id": DECLINE_CREATE["requisition_id"],
        "reason": "none",
        "round": "first",
        "candidate": {**CANDIDATE, "phone": "+14155550142"},
        "follow_up_business_days": 2,
        "created_at": CREATED_AT,
        "canceled_at": None,
        "contacts": contacts,
        **changes,
    }


RECRUITER_SENT = _contact(1, RECRUITER, message=_message(1))
MANAGER_SENT = _contact(2, HIRING_MANAGER, message=_message(2))
ACCEPTED = _decline(
    "queued",
    [
        _contact(c, p, message=_message(c, "queued"), status="pending", due_at=None)
        for c, p in ((1, RECRUITER), (2, HIRING_MANAGER))
    ],
)
SENT = _decline("sent", [RECRUITER_SENT, MANAGER_SENT])
CANCELED_AT = "2026-12-07T17:05:40.201377Z"
CANCELED = _decline(
    "canceled",
    [
        _contact(1, RECRUITER, message=_message(1), status="canceled"),
        _contact(
            2,
            HIRING_MANAGER,
            message=_message(2, "canceled", last_error="canceled before sending"),
            status="canceled",
            due_at=None,
        ),
    ],
    canceled_at=CANCELED_AT,
)
NOT_ANSWERED = {
    **RECRUITER_SENT,
    "follow_up": {
        **RECRUITER_SENT["follow_up"],
        "due_at": "2026-12-11T17:00:00Z",
        "call_attempts": 1,
    },
}
REPLIED = {
    **RECRUITER_SENT,
    "replied_at": "2026-12-08T17:14:03Z",
    "follow_up": {**RECRUITER_SENT["follow_up"], "status": "canceled"},
}
RESENT = _contact(
    2,
    {**HIRING_MANAGER, "email": "s.ortiz@northwind.example"},
    message=_message(3, "queued", next_attempt_at="2026-12-09T18:20:05.774120Z"),
    status="pending",
    due_at=None,
)

GREETING, SIGNATURE = (
    "Dear Jordan,",
    "Best regards,\nPriya Raman\n+1 415-555-0142\npriya.raman@example.net",
)
PARAGRAPHS = [
    GREETING,
    "Thank you for the invitation to interview for the Senior Data Engineer position at "
    "Northwind Analytics, and for considering my application.",
    "I must respectfully decline this invitation.",
    "Perhaps the timing will suit better another time: I would be glad to hear about "
    "future roles in data engineering at Northwind Analytics.",
    "Could you reply briefly so I know this reached you?",
    SIGNATURE,
]
SUBJECT = "Interview invitation: Senior Data Engineer (NW-2231)"
PREVIEW = {
    "warnings": [],
    "messages": [
        {
            "contact": {
                **RECRUITER,
                "phone": "+14155550187",
                "timezone": None,
                "language": None,
                "greeting": None,
                "title": None,
                "greeting_name": None,
            },
            "language": "en",
            "role": "recruiter",
            "greeting": "first_name",
            "to": "Jordan Lee <jordan.lee@northwind.example>",
            "subject": SUBJECT,
            "headers": {
                "From": "Priya Raman <declines@mail.example>",
                "To": "Jordan Lee <jordan.lee@northwind.example>",
                "Reply-To": "Priya Raman <priya.raman@example.net>",
                "Subject": SUBJECT,
                "Date": "Mon, 07 Dec 2026 17:02:11 +0000",
                "Message-ID": "<179667721311.4821.904171@mail.example>",
            },
            "text": "\n\n".join(PARAGRAPHS) + "\n",
            "html": '<!DOCTYPE html>\n<html lang="en">\n<body>\n'
            + "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS[:-1])
            + "<p>Best regards,<br>\nPriya Raman<br>\n...</p>\n</body>\n</html>\n",
            "call_script": "Call Jordan Lee on +1 415-555-0187 about the Senior Data Engineer "
            "position at Northwind Analytics (NW-2231).\nYour email already gave your answer; "
            "this call only makes sure it arrived. Keep it short and friendly.\n...\n"
            "If they ask why, keep to these words:\n> The timing just isn't right for me.\n",
            "voicemail_script": "Leave this message if nobody answers. Speak slowly: the number "
            "and the address are written the way you say them.\n\n> Hello Jordan, this is "
            "Priya Raman, calling about the Senior Data Engineer position at Northwind "
            "Analytics, reference NW-2231.\n...\n> Thank you, and goodbye.\n",
        }
    ],
}
RAW_MESSAGE = (
    "From: Priya Raman <declines@mail.example>\r\n"
    "To: Jordan Lee <jordan.lee@northwind.example>\r\n"
    "Reply-To: Priya Raman <priya.raman@example.net>\r\n"
    f"Subject: {SUBJECT}\r\n"
    "Date: Mon, 07 Dec 2026 17:02:11 +0000\r\n"
    f"Message-ID: {_message(1)['message_id']}\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
    + "\n\n".join(PARAGRAPHS).replace("\n", "\r\n")
    + "\r\n"
)
REPLY = (
    "From: Jordan Lee <jordan.lee@northwind.example>\r\n"
    "To: Priya Raman <priya.raman@example.net>\r\n"
    f"Subject: Re: {SUBJECT}\r\n"
    "Date: Tue, 08 Dec 2026 09:14:03 -0800\r\n"
    "Message-ID: <CAJ7x2Lq9Tn@mail.northwind.example>\r\n"
    f"In-Reply-To: {_message(1)['message_id']}\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Hi Priya,\r\n\r\nThanks for letting me know, and good luck.\r\n\r\nJordan\r\n"
)
CALL = {
    "id": RECRUITER_SENT["follow_up"]["id"],
    "contact_id": RECRUITER_SENT["id"],
    "decline_id": DECLINE_ID,
    "status": "due",
    "due_at": DUE_AT,
    "call_attempts": 0,
    "attempt": 1,
    "max_attempts": 3,
    "contact_name": "Jordan Lee",
    "contact_email": "jordan.lee@northwind.example",
    "role": "recruiter",
    "phone": "+14155550187",
    "company": "Northwind Analytics",
    "job_title": "Senior Data Engineer",
    "email_status": "sent",
    "away_until": None,
    "complained_at": None,
    "call_script": PREVIEW["messages"][0]["call_script"],
    "voicemail_script": None,
}

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not found",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported Media Type",
    422: "Invalid request",
    503: "Database busy",
}
# What each status says when the operation has nothing more particular to say.
DETAILS = {
    400: "There was an error parsing the body",
    401: "send your API key as 'Authorization: Bearer <key>'",
    413: "the request body is over the 1048576 byte limit",
    415: "send the raw message as the body with Content-Type: message/rfc822",
    422: "the request is not valid",
    503: "the database is busy or unreachable; retry shortly",
}


def problem(status: int, detail: str, title: str | None = None, **extra: Any) -> Body:
    title = title or TITLES[status]
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def invalid(where: str | None, message: str, title: str | None = None) -> Body:
    """A 422 for one refused field: `detail` sums up `errors`."""
    detail = f"{where}: {message}" if where else message
    return problem(422, detail, title, errors=[{"field": where, "message": message}])


def not_found(thing: str, ident: str) -> Body:
    return problem(404, f"no {thing} with id {ident}")


@dataclass(frozen=True)
class OperationExamples:
    responses: dict[int, Any]  # 2xx status -> body (text for a media type that is not JSON)
    request: Any = None  # the request body, for an operation that takes one
    problems: dict[int, Body] = field(default_factory=dict)  # where the defaults don't fit

    def problem(self, status: int) -> Body | None:
        """This operation's example for an error status, or None when there is none."""
        if status in self.problems:
            return self.problems[status]
        return problem(status, DETAILS[status]) if status in DETAILS else None


TOO_MANY = "Input should be less than or equal to 200"
REPEATED = (
    "contacts[1].email jordan.lee@northwind.example repeats contacts[0]; each contact gets "
    "one message, list each address once"
)
NO_DECLINE = not_found("decline", "4d0c0f5e-0000-4000-8000-000000000000")
NO_CONTACT = not_found("contact", "9a7e2b10-0000-4000-8000-000000000000")
CANDIDATE_PROBLEMS = {
    404: problem(404, "nothing is held about a candidate with this email"),
    422: invalid("path.email", "String should match pattern '^[^@\\s/]+@[^@\\s/]+$'"),
}
LIMIT_PROBLEMS = {422: invalid("query.limit", TOO_MANY)}
BODY_PROBLEMS = {422: invalid(None, REPEATED)}
WEBHOOK_ID = "5e2a7c90-3b14-4d8e-9f61-7a0c2d4b8e13"
WEBHOOK = {
    "id": WEBHOOK_ID,
    "url": "https://tracker.example.com/hooks/decline",
    "events": ["decline.created", "message.bounced", "reply.received"],
    "created_at": CREATED_AT,
    "secret": None,
    "previous_secret_until": None,
}
NEW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the spec's own example
NO_WEBHOOK = not_found("webhook", "5e2a7c90-0000-4000-8000-000000000000")
WEBHOOK_EXAMPLES = {
    "createWebhook": OperationExamples(
        {201: {**WEBHOOK, "secret": NEW_SECRET}},
        {"url": WEBHOOK["url"], "events": WEBHOOK["events"]},
        {
            422: invalid(
                "url",
                "a webhook URL must reach a public address: 10.0.0.7 is 10.0.0.7, private "
                "(set DECLINE_WEBHOOKS_ALLOW_PRIVATE=true to allow it)",
                "Unprocessable request",
            )
        },
    ),
    "listWebhooks": OperationExamples({200: {"items": [WEBHOOK]}}),
    "getWebhook": OperationExamples({200: WEBHOOK}, problems={404: NO_WEBHOOK}),
    "deleteWebhook": OperationExamples({}, problems={404: NO_WEBHOOK}),
    "rotateWebhookSecret": OperationExamples(
        {
            200: {
                **WEBHOOK,
                "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "previous_secret_until": "2026-12-08T17:02:11.482913Z",
            }
        },
        problems={404: NO_WEBHOOK},
    ),
    "listWebhookDeliveries": OperationExamples(
        {
            200: {
                "items": [
                    {
                        "id": "msg_2f9c4e1a7b3d48a6a0c5e8f1d2b7c634",
                        "event_type": "decline.created",
                        "status": "delivered",
                        "attempts": 2,
                        "response_codes": [500, 200],
                        "last_status_code": 200,
                        "last_response": "ok",
                        "last_error": None,
                        "next_attempt_at": None,
                        "created_at": CREATED_AT,
                        "delivered_at": SENT_AT,
                    }
                ]
            }
        },
        problems={404: NO_WEBHOOK, **LIMIT_PROBLEMS},
    ),
}
EXAMPLES: dict[str, OperationExamples] = {
    "createDecline": OperationExamples({201: ACCEPTED}, DECLINE_CREATE, BODY_PROBLEMS),
    "previewDecline": OperationExamples(
        {200: PREVIEW}, {**DECLINE_CREATE, "contacts": [RECRUITER]}, BODY_PROBLEMS
    ),
    "listDeclines": OperationExamples(
        {
            200: {
                "items": [SENT],
                "next_cursor": keyset_cursor(
                    datetime(2026, 12, 7, 17, 2, 11, tzinfo=UTC), DECLINE_ID
                ),
            }
        },
        problems=LIMIT_PROBLEMS,
    ),
    "getDecline": OperationExamples({200: SENT}, problems={404: NO_DECLINE}),
    "cancelDecline": OperationExamples({200: CANCELED}, problems={404: NO_DECLINE}),
    "exportMbox": OperationExamples(
        {
            200: "From declines@mail.example Mon Dec 07 17:02:13 2026\n"
            + RAW_MESSAGE.replace("\r\n", "\n")
        },
        problems={404: NO_DECLINE},
    ),
    "eraseCandidate": OperationExamples(
        {
            200: {
                "id": "e1a5c0d2-3b4f-4a6e-9c8d-7f0b2e4a6c10",
                "erased_at": "2026-12-21T09:14:03.512004Z",
                "actor": "api",
                "counts": {
                    "files": 0,
                    "call_attempts": 1,
                    "inbound_messages": 1,
                    "imap_failures": 0,
                    "idempotency_keys": 1,
                    "webhook_deliveries": 4,
                    "sent_copies": 2,
                    "follow_ups": 2,
                    "messages": 3,
                    "contacts": 2,
                    "declines": 1,
                },
            }
        },
        problems=CANDIDATE_PROBLEMS,
    ),
    "exportCandidate": OperationExamples(
        # A zip is binary: the example names its two members rather than show its bytes.
        {200: "(a zip archive holding data.json and mail.mbox)"},
        problems=CANDIDATE_PROBLEMS,
    ),
    "exportCsv": OperationExamples(
        {
            200: "\ufeffdecline_id,created_at,decline_status,company,job_title,requisition_id,"
            "candidate_name,candidate_email,contact_id,contact_name,contact_role,contact_email,"
            "contact_phone,message_status,sent_at,last_error,replied_at,call_status,call_due_at,"
            "call_attempts,last_call_outcome,last_call_at\r\n"
            f"{DECLINE_ID},{CREATED_AT.replace('Z', '+00:00')},sent,Northwind Analytics,"
            f"Senior Data Engineer,NW-2231,Priya Raman,priya.raman@example.net,"
            f"{RECRUITER_SENT['id']},Jordan Lee,recruiter,jordan.lee@northwind.example,"
            f"'+14155550187,sent,{SENT_AT.replace('Z', '+00:00')},,,scheduled,"
            f"{DUE_AT.replace('Z', '+00:00')},0,,\r\n"
        },
        problems={
            422: invalid(
                "query.status",
                "Input should be 'queued', 'sending', 'sent', 'partly_delivered', 'failed' "
                "or 'canceled'",
            )
        },
    ),
    "getLetterPdf": OperationExamples(
        {200: "%PDF-1.3\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<</Type /Pages ..."},
        problems={
            404: NO_CONTACT,
            422: invalid("query.contact", "Field required"),
        },
    ),
    "getRawMessage": OperationExamples(
        {200: RAW_MESSAGE},
        problems={404: not_found("message", "c3f1a9e0-0000-4000-8000-000000000000")},
    ),
    "listFollowUps": OperationExamples(
        {200: {"items": [CALL], "next_cursor": None}}, problems=LIMIT_PROBLEMS
    ),
    "logCall": OperationExamples(
        {200: NOT_ANSWERED},
        {"outcome": "no_answer", "notes": "Rang twice, no voicemail box"},
        {
            404: NO_CONTACT,
            409: problem(409, "this decline was canceled; there is no call to log"),
            422: invalid("outcome", "Input should be 'reached', 'no_answer' or 'voicemail'"),
        },
    ),
    "resendDecline": OperationExamples(
        {200: RESENT},
        {"email": "s.ortiz@northwind.example"},
        {
            404: NO_CONTACT,
            409: problem(
                409, "this contact already replied: the email arrived, there is nothing to resend"
            ),
            422: invalid("email", "An email address must have an @-sign."),
        },
    ),
    "editContact": OperationExamples(
        {200: {**MANAGER_SENT, "phone": "+14155550199"}},
        {"phone": "+1 415 555 0199"},
        {
            404: NO_CONTACT,
            409: problem(
                409, "this contact already replied: the email arrived, there is nothing to resend"
            ),
            422: invalid("phone", "'555 0199' is not a phone number in international form"),
        },
    ),
    "markReplied": OperationExamples(
        {200: REPLIED},
        {"notes": "Jordan called back: got the email, wished me luck"},
        {404: NO_CONTACT, 422: invalid("notes", "String should have at most 2000 characters")},
    ),
    "ingestInbound": OperationExamples(
        {
            200: {
                "id": "a319915f-5b41-4b06-ad5d-1df9b4602589",
                "classification": "reply",
                "detected": "reply",
                "reason": f"human reply; matched by Message-ID {_message(1)['message_id']}",
                "contact_id": RECRUITER_SENT["id"],
                "decline_id": DECLINE_ID,
                "message_id": RECRUITER_SENT["message"]["id"],
                "away_until": None,
            }
        },
        REPLY,
        {
            413: problem(413, "the request body is over the 26214400 byte limit"),
            422: problem(422, "body: not an email message (no headers)", "Unprocessable request"),
        },
    ),
    "runDueNow": OperationExamples(
        {
            200: {
                "imap": None,
                "outbox": {"claimed": 2, "sent": 2, "retried": 0, "failed": 0, "canceled": 0},
                "follow_ups": {"reminders_queued": 1},
                "webhooks": {"claimed": 3, "delivered": 3, "retried": 0, "failed": 0},
                "sent_copies": None,
                "idempotency_keys_purged": 0,
                "dashboard_sessions_purged": 0,
                "declines_purged": 0,
            }
        }
    ),
    **WEBHOOK_EXAMPLES,
    "healthz": OperationExamples({200: {"status": "ok"}}),
    "readyz": OperationExamples(
        {200: {"status": "ready", "delivery": "smtp"}},
        problems={503: problem(503, "database unavailable: OperationalError", "Not ready")},
    ),
    "getMetrics": OperationExamples(
        {
            200: "# HELP decline_declines_accepted_total Declines accepted over the API\n"
            "# TYPE decline_declines_accepted_total counter\n"
            "decline_declines_accepted_total 12.0\n"
        }
    ),
}
