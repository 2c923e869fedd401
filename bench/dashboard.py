"""Section 4: how long each dashboard page takes with 10,000 declines stored, beside
`GET /healthz` (the cheapest route through the same stack), on SQLite and PostgreSQL.

The database is filled in bulk (Core `INSERT ... VALUES` batches, no ORM) with what months
of use leave behind: 2-3 contacts per decline, each with its kept email (the real bytes
`compose` renders) in mixed statuses, follow-ups scheduled, due, done or canceled, replies,
auto-replies, bounces, call attempts and call reminders. Pages are requested through a
logged-in TestClient; each row also counts the SQL statements one request ran.
"""

from __future__ import annotations

import dataclasses
import gc
import html
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert, text

from bench.fixtures import (
    bench_settings,
    migrated_engine,
    postgres_database,
    render_messages,
    sqlite_database,
    typical_request,
)
from bench.report import Row, median, percentile, ratio, table
from service.app import create_app
from service.core.db import utcnow
from service.models import (
    ApiKey,
    CallAttempt,
    Contact,
    Decline,
    FollowUp,
    InboundMessage,
    Message,
)
from tests.dashboard.conftest import login, set_password

WARM_UP = 3
COMPANIES = [  # 200 companies, 50 declines each on average
    f"{a} {b}"
    for a in (
        "Analytical Difference Babbage Jacquard Lovelace Hollerith Turing Hopper Noether "
        "Somerville Herschel Faraday Maxwell Kelvin Boole Napier Pascal Leibniz Euler Gauss"
    ).split()
    for b in (
        "Engines Ltd",
        *"Systems Labs Analytics Software Robotics Cloud Health Logistics Payments".split(),
    )
]
TITLES = [
    "Principal Engineer",
    "Staff Engineer",
    "Engineering Manager",
    "Data Scientist",
    "Platform Engineer",
    "Product Designer",
]
ROLES = ["recruiter", "hiring_manager", "interviewer"]
NAMES = [
    "Charles Babbage",
    "Mary Somerville",
    "Ada Byron King",
    "Grace Hopper",
    "Alan Turing",
    "Emmy Noether",
    "Caroline Herschel",
    "Hedy Lamarr",
]


@dataclass
class Seeded:
    """What the page requests need to know about the data."""

    declines: int = 0
    rows: int = 0  # every row inserted, all tables
    seconds: float = 0.0
    detail_id: str = ""  # a decline with three contacts, replies, calls
    message_id: str = ""  # a kept email (messages.id)
    company: str = ""  # a search term that matches ~50 declines
    counts: dict[str, int] = field(default_factory=dict)


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def seed(engine: Engine, count: int, *, seed_value: int = 1843) -> Seeded:
    """`count` declines and everything that follows from them, in one transaction."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    now = utcnow()
    templates = render_messages(3)  # one real kept email per contact position
    base_request = typical_request().model_dump(mode="json")
    candidate_email = base_request["candidate"]["email"]
    key_id = _uid(rng)
    tables: dict[str, list[dict[str, Any]]] = {
        "declines": [], "contacts": [], "messages": [], "follow_ups": [],
        "call_attempts": [], "inbound_messages": [],
    }  # fmt: skip
    out = Seeded(declines=count)

    def reminder(decline_id: str, contact_id: str, at: datetime) -> None:
        mid = f"<{_uid(rng)}@mailer.example>"
        tables["messages"].append(
            {
                "id": _uid(rng), "decline_id": decline_id, "contact_id": contact_id,
                "kind": "reminder", "seq": 1, "message_id": mid,
                "envelope_from": "declines@mailer.example", "envelope_to": candidate_email,
                "raw": b"Subject: Call reminder\r\nMessage-ID: " + mid.encode() + b"\r\n\r\n"
                + b"Time to call.\r\n" * 40,
                "status": "sent", "attempts": 1, "next_attempt_at": at, "lease_until": None,
                "claim_token": None, "last_error": None, "created_at": at, "sent_at": at,
            }
        )  # fmt: skip

    def call(decline_id: str, contact_id: str, follow_up_id: str, n: int, outcome: str,
             at: datetime) -> None:  # fmt: skip
        tables["call_attempts"].append(
            {
                "id": _uid(rng), "follow_up_id": follow_up_id, "decline_id": decline_id,
                "contact_id": contact_id, "attempt": n, "outcome": outcome,
                "notes": "spoke to the assistant" if outcome == "reached" else None,
                "created_at": at,
            }
        )  # fmt: skip

    def inbound(kind: str, decline_id: str | None, contact_id: str | None, at: datetime,
                sender: str, matched: str | None) -> None:  # fmt: skip
        tables["inbound_messages"].append(
            {
                "id": _uid(rng), "source": "imap", "api_key_id": None,
                "raw": b"From: " + sender.encode() + b"\r\n\r\nThanks for letting us know.\r\n",
                "message_id": f"<{_uid(rng)}@mail.example>", "from_address": sender,
                "subject": "Re: Interview invitation", "detected": kind,
                "classification": kind, "detail": None, "decline_id": decline_id,
                "contact_id": contact_id, "matched_message_id": matched,
                "return_at": at + timedelta(days=3) if kind == "auto_reply" else None,
                "received_at": at,
            }
        )  # fmt: skip

    for d in range(count):
        decline_id = _uid(rng)
        age = timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        created = now - age
        company = COMPANIES[d % len(COMPANIES)]
        title = rng.choice(TITLES)
        canceled = rng.random() < 0.03
        n_contacts = 3 if rng.random() < 0.5 else 2
        if d == 0:
            n_contacts, canceled, created = 3, False, now - timedelta(days=10)
            out.detail_id, out.company = decline_id, company.split()[0].lower()
        domain = company.split()[0].lower() + ".example"
        people: list[dict[str, Any]] = []
        for i in range(n_contacts):
            name = NAMES[(d + i) % len(NAMES)]
            people.append(
                {
                    "name": name,
                    "email": f"{name.split()[0].lower()}.{d}@{domain}",
                    "phone": f"+442079460{d % 1000:03d}" if i == 0 or rng.random() < 0.5 else None,
                    "role": ROLES[min(i, 2)],
                    "timezone": None,
                }
            )
        request = dict(base_request, company=company, job_title=title,
                       requisition_id=f"REQ-{d}", contacts=people)  # fmt: skip
        statuses = []
        for i, person in enumerate(people):
            contact_id, message_pk, follow_up_id = _uid(rng), _uid(rng), _uid(rng)
            template = templates[i]
            mid = f"<{_uid(rng)}@mailer.example>"
            raw = template.raw.replace(template.message_id.encode(), mid.encode())
            sent_at = created + timedelta(seconds=rng.randrange(1, 30))
            roll = rng.random()
            if canceled:
                status, sent = "canceled", None
            elif age < timedelta(minutes=30) and roll < 0.3:
                status, sent = "queued", None  # a 4xx: retried with backoff
            elif roll < 0.04:
                status, sent = "failed", None
            elif roll < 0.09:
                status, sent = "bounced", sent_at
            else:
                status, sent = "sent", sent_at
            statuses.append(status)
            replied_at = None
            follow: dict[str, Any] = {"status": "pending", "due_at": None, "call_attempts": 0,
                                      "reminders": 0, "closed_at": None}  # fmt: skip
            first_due = sent_at + timedelta(days=2)
            fate = rng.random()
            if canceled:
                follow.update(status="canceled", closed_at=created + timedelta(hours=1))
            elif status == "queued":
                pass
            elif status in ("failed", "bounced"):
                if status == "bounced":
                    inbound("bounce", decline_id, contact_id, sent_at + timedelta(minutes=2),
                            "mailer-daemon@" + domain, message_pk)  # fmt: skip
                if age < timedelta(days=3) or fate < 0.2:
                    follow.update(status="due", due_at=sent_at, reminders=1)
                    reminder(decline_id, contact_id, sent_at + timedelta(minutes=3))
                else:
                    follow.update(status="done", due_at=sent_at, call_attempts=1, reminders=1,
                                  closed_at=sent_at + timedelta(days=1))  # fmt: skip
                    reminder(decline_id, contact_id, sent_at + timedelta(minutes=3))
                    call(decline_id, contact_id, follow_up_id, 1, "reached",
                         sent_at + timedelta(days=1))  # fmt: skip
            elif fate < 0.40 and age > timedelta(hours=6):  # a human reply
                replied_at = sent_at + timedelta(hours=rng.randrange(1, 40))
                if replied_at > now:
                    replied_at = now - timedelta(minutes=1)
                follow.update(status="canceled", due_at=first_due, closed_at=replied_at)
                inbound("reply", decline_id, contact_id, replied_at, person["email"], message_pk)
            elif age < timedelta(days=2):
                follow.update(status="scheduled", due_at=first_due)
                if fate < 0.5:
                    inbound("auto_reply", decline_id, contact_id, sent_at + timedelta(minutes=1),
                            person["email"], message_pk)  # fmt: skip
            elif fate < 0.45 or (age < timedelta(days=6) and fate < 0.6):
                follow.update(status="due", due_at=first_due, reminders=1)  # a call to make
                reminder(decline_id, contact_id, first_due)
            elif fate < 0.52:
                follow.update(status="scheduled", due_at=now + timedelta(days=1),
                              call_attempts=1, reminders=1)  # fmt: skip
                reminder(decline_id, contact_id, first_due)
                call(decline_id, contact_id, follow_up_id, 1, "no_answer", first_due)
            else:
                attempts = rng.choice([1, 1, 2, 3])
                closed = first_due + timedelta(days=attempts)
                follow.update(status="done", due_at=first_due, call_attempts=attempts,
                              reminders=1, closed_at=closed)  # fmt: skip
                reminder(decline_id, contact_id, first_due)
                for n in range(1, attempts + 1):
                    outcome = "no_answer" if n < attempts else rng.choice(["reached", "voicemail"])
                    call(decline_id, contact_id, follow_up_id, n, outcome,
                         first_due + timedelta(days=n - 1))  # fmt: skip
            tables["contacts"].append(
                {
                    "id": contact_id, "decline_id": decline_id, "position": i,
                    "name": person["name"], "email": person["email"],
                    "email_key": person["email"].casefold(), "phone": person["phone"],
                    "role": person["role"], "timezone": None, "replied_at": replied_at,
                }
            )  # fmt: skip
            tables["messages"].append(
                {
                    "id": message_pk, "decline_id": decline_id, "contact_id": contact_id,
                    "kind": "decline", "seq": 0, "message_id": mid,
                    "envelope_from": "declines@mailer.example", "envelope_to": person["email"],
                    "raw": raw, "status": status, "attempts": 0 if status == "canceled" else 1,
                    "next_attempt_at": now + timedelta(minutes=5) if status == "queued"
                    else created,
                    "lease_until": None, "claim_token": None,
                    "last_error": "550 5.1.1 no such user" if status == "failed" else None,
                    "created_at": created, "sent_at": sent,
                }
            )  # fmt: skip
            tables["follow_ups"].append(
                {
                    "id": follow_up_id, "decline_id": decline_id, "contact_id": contact_id,
                    "not_before": None, "updated_at": created, **follow,
                }
            )  # fmt: skip
            if d == 0 and i == 0:
                out.message_id = message_pk
        if canceled:
            decline_status = "canceled"
        elif all(s == "queued" for s in statuses):
            decline_status = "queued"
        elif "queued" in statuses:
            decline_status = "sending"
        elif "failed" in statuses or "bounced" in statuses:
            decline_status = "failed"
        else:
            decline_status = "sent"
        tables["declines"].append(
            {
                "id": decline_id, "api_key_id": key_id, "status": decline_status,
                "company": company, "company_key": company.casefold(), "job_title": title,
                "requisition_id": f"REQ-{d}", "reason": "accepted_offer", "round": "first",
                "candidate_name": "Ada Lovelace", "candidate_email": candidate_email,
                "candidate_phone": "+442079460958", "candidate_timezone": None,
                "follow_up_business_days": 2, "request": request, "warnings": [],
                "created_at": created, "updated_at": created,
                "canceled_at": created + timedelta(hours=1) if canceled else None,
            }
        )  # fmt: skip
    for u in range(100):  # mail nobody could match
        inbound("unmatched", None, None, now - timedelta(hours=u), f"someone{u}@else.example", None)

    order = [
        (ApiKey, [{"id": key_id, "name": "bench", "prefix": "dk_bench",
                   "key_hash": "0" * 64, "created_at": now, "revoked_at": None}]),
        (Decline, tables["declines"]),
        (Contact, tables["contacts"]),
        (Message, tables["messages"]),
        (FollowUp, tables["follow_ups"]),
        (CallAttempt, tables["call_attempts"]),
        (InboundMessage, tables["inbound_messages"]),
    ]  # fmt: skip
    with engine.begin() as conn:
        for model, rows in order:
            table_ = model.__table__  # type: ignore[attr-defined]
            for start in range(0, len(rows), 2000):
                conn.execute(insert(table_), rows[start : start + 2000])
            out.counts[table_.name] = len(rows)
            out.rows += len(rows)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # What autovacuum does soon after a bulk insert (PostgreSQL 13+): statistics, and
            # the visibility map that index-only scans need.
            conn.execute(text("VACUUM ANALYZE"))
    out.seconds = time.perf_counter() - started
    return out


# Timing ------------------------------------------------------------------------------------


class _ParkedOutbox:
    """No delivery pass during the timing (see bench.acceptance)."""

    def wake(self) -> None:
        return None


@contextmanager
def _client(url: str, directory: Path) -> Iterator[tuple[TestClient, FastAPI]]:
    set_password(url)
    settings = bench_settings(url, directory, outbox_poll_seconds=3600)
    app = create_app(settings, scheduler=False)
    with TestClient(app) as client:
        app.state.outbox = _ParkedOutbox()
        login(client)
        yield client, app


@dataclass
class Statements:
    """SQL statements run on an engine while counting."""

    count: int = 0
    on: bool = False

    def attach(self, engine: Engine) -> None:
        def before(*_: Any) -> None:
            if self.on:
                self.count += 1

        event.listen(engine, "before_cursor_execute", before)


def _next_link(page: str) -> str | None:
    """The href of the list page's link to the following page (a cursor), if any."""
    for match in re.finditer(r'<a\b[^>]*href="([^"]*cursor=[^"]*)"[^>]*>(.*?)</a>', page, re.S):
        label = re.sub(r"<[^>]+>", "", match.group(2)).strip().lower()
        if any(word in label for word in ("next", "older", "more")):
            return html.unescape(match.group(1))
    return None


@dataclass
class FullCollections:
    """Counts the interpreter's full (generation 2) garbage collections while on: each one
    walks every object the process holds, and lands on whichever request is running."""

    count: int = 0
    on: bool = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if self.on and phase == "start" and info.get("generation") == 2:
            self.count += 1


def _time(fn: Callable[[], None], iterations: int, full_gcs: FullCollections) -> list[float]:
    for _ in range(WARM_UP):
        fn()
    samples = []
    full_gcs.count, full_gcs.on = 0, True
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    full_gcs.on = False
    return samples


def _later_page(client: TestClient, hops: int = 40) -> tuple[str | None, str]:
    """Follow the Declines list's "next" link `hops` times: a cursor deep into the list."""
    response = client.get("/dashboard/declines")
    if response.status_code != 200:
        return None, f"the Declines page answered {response.status_code}"
    url, page = "/dashboard/declines", response.text
    for hop in range(hops):
        found = _next_link(page)
        if found is None:
            if hop == 0:
                return None, "no link to a next page found on /dashboard/declines"
            break
        url, page = found, client.get(found).text
    return url, ""


def _pages(client: TestClient, seeded: Seeded) -> list[tuple[str, str | None, str]]:
    """(row name, URL or None when it cannot be built, why not)."""
    later, why = _later_page(client)
    return [
        ("Today (/dashboard/)", "/dashboard/", ""),
        ("Declines, page 1", "/dashboard/declines", ""),
        (f"Declines, search q={seeded.company!r}", f"/dashboard/declines?q={seeded.company}", ""),
        ("Declines, contact=grace", "/dashboard/declines?contact=grace", ""),
        ("Declines, status=failed", "/dashboard/declines?status=failed", ""),
        ("Declines, 40 pages in (by cursor)", later, why),
        ("Decline detail (3 contacts)", f"/dashboard/declines/{seeded.detail_id}", ""),
        ("Message view (kept copy)", f"/dashboard/messages/{seeded.message_id}", ""),
        ("Calls", "/dashboard/calls", ""),
        ("Outbox", "/dashboard/outbox", ""),
        ("System", "/dashboard/system", ""),
        ("Compose (empty form)", "/dashboard/compose", ""),
        ("GET /metrics (counts read from the database)", "/metrics", ""),
    ]


def measure(label: str, url: str, directory: Path, seeded: Seeded, iterations: int) -> None:
    rows: list[Row] = []
    full_gcs = FullCollections()
    gc.collect()
    gc.callbacks.append(full_gcs)
    try:
        with _client(url, directory) as (client, app):
            # The app's startup froze what it had loaded; the seeding done before it would
            # otherwise sit in every full collection too, as it never would in a server.
            gc.collect()
            gc.freeze()
            statements = Statements()
            statements.attach(app.state.engine)
            for name, path, why in [
                ("baseline: GET /healthz (TestClient round trip)", "/healthz", "")
            ] + _pages(client, seeded):
                rows.append(_row(client, name, path, why, iterations, statements, full_gcs))
    finally:
        gc.callbacks.remove(full_gcs)
        gc.unfreeze()
    base = rows[0].figure
    rows = [dataclasses.replace(r, ratio=ratio(r.figure, base)) for r in rows]
    counts = ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items())
    table(
        f"4. Dashboard pages, {label}: {seeded.declines:,} declines ({counts}; seeded in "
        f"{seeded.seconds:.1f} s); logged-in TestClient, {iterations} requests each; "
        "ratio >1x = slower",
        rows,
    )


def _row(
    client: TestClient,
    name: str,
    path: str | None,
    why: str,
    iterations: int,
    statements: Statements,
    full_gcs: FullCollections,
) -> Row:
    if path is None:
        return Row(name, None, "ms median", "", f"skipped: {why}")
    probe = client.get(path, follow_redirects=False)
    if probe.status_code != 200:
        missing = probe.status_code == 404 and "problem+json" in probe.headers.get(
            "content-type", ""
        )
        return Row(
            name,
            None,
            "ms median",
            "",
            "skipped: page not there yet" if missing else f"skipped: {probe.status_code}",
        )
    statements.count, statements.on = 0, True
    client.get(path)
    statements.on = False

    def get() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")

    samples = _time(get, iterations, full_gcs)
    mid, p95 = median(samples) * 1e3, percentile(samples, 95) * 1e3
    facts = [f"p95 {p95:.1f} ms", f"{statements.count} SQL", f"{len(probe.content) / 1024:.0f} KB"]
    if full_gcs.count:
        facts.append(f"{full_gcs.count} full GC")
    if mid >= 50 or p95 >= 100:
        facts.append("SLOW")
    return Row(name, mid, "ms median", "", "; ".join(facts))


def run(
    iterations: int,
    directory: Path,
    *,
    postgres: bool,
    declines: int = 10_000,
) -> None:
    backends: list[tuple[str, AbstractContextManager[str]]] = [
        ("SQLite file", sqlite_database(directory, "dashboard.db"))
    ]
    if postgres:
        backends.append(("PostgreSQL", postgres_database()))
    for label, database in backends:
        with database as url, migrated_engine(url) as engine:
            seeded = seed(engine, declines)
            engine.dispose()
            measure(label, url, directory, seeded, iterations)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.dashboard`: this section alone."""
    import argparse
    import logging

    from bench.fixtures import postgres_version, temp_dir
    from bench.report import load_note, machine_facts

    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--declines", type=int, default=10_000, help="stored for the pages")
    parser.add_argument("--page-requests", type=int, default=30, help="requests per page row")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args(argv)
    logging.getLogger("decline").setLevel(logging.ERROR)
    pg = None if args.no_postgres else postgres_version()
    machine_facts(pg or "not reachable on 127.0.0.1:5432")
    with temp_dir() as directory:
        run(
            args.page_requests,
            directory,
            postgres=pg is not None,
            declines=args.declines,
        )
    print(f"\nload average now {load_note(warn=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
