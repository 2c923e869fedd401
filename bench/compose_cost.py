"""Section 2: the cost of building one message, beside a bare EmailMessage of the same text."""

from __future__ import annotations

import email.policy
import time
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from bench.fixtures import MAIL_FROM, typical_request
from bench.report import Row, median, percentile, ratio, table
from service.core.db import utcnow
from service.declines import compose, letter
from service.declines.language import template_path
from service.templating import render

WARM_UP = 20


def _time(fn: Callable[[int], object], iterations: int) -> list[float]:
    for i in range(WARM_UP):
        fn(i)
    samples = []
    for i in range(iterations):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def run(iterations: int) -> None:
    request = typical_request()
    contacts = len(request.contacts)
    domain = MAIL_FROM.rpartition("@")[2].rstrip(">")
    now = utcnow()
    sample = compose.compose(
        request=request,
        contact_index=0,
        mail_from=MAIL_FROM,
        message_id=compose.make_message_id(domain),
        date=now,
    )
    text, html = sample.text, sample.html

    def bare(_: int) -> bytes:
        msg = EmailMessage(policy=email.policy.SMTP)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        return msg.as_bytes()

    sender = parseaddr(MAIL_FROM)[1]
    candidate = request.candidate
    people = [
        {
            "From": Address(candidate.name, addr_spec=sender),
            "To": Address(contact.name, addr_spec=contact.email),
            "Reply-To": Address(candidate.name, addr_spec=candidate.email),
        }
        for contact in request.contacts
    ]

    def headed(i: int) -> bytes:
        msg = EmailMessage(policy=email.policy.SMTP)
        for name, value in people[i % contacts].items():
            msg[name] = value
        msg["Subject"] = sample.subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = compose.make_message_id(domain)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        return msg.as_bytes()

    def full(i: int) -> bytes:
        return compose.compose(
            request=request,
            contact_index=i % contacts,
            mail_from=MAIL_FROM,
            message_id=compose.make_message_id(domain),
            date=now,
        ).raw

    def templates(i: int) -> tuple[str, str]:
        words = letter.letter_for(request, i % contacts, now=now)
        context = {"letter": words, "candidate": compose._person(request.candidate)}
        text = render(template_path(words.language, "decline.txt"), **context)
        return text, render(template_path(words.language, "decline.html"), **context)

    def message_id(_: int) -> str:
        return compose.make_message_id(domain)

    cases = [
        ("baseline: EmailMessage set_content+add_alternative+as_bytes", bare),
        ("compose.compose (headers, templates, MIME, bytes)", full),
        ("  of which: baseline + compose's 6 headers", headed),
        ("  of which: render decline.txt + decline.html", templates),
        ("  of which: make_message_id", message_id),
    ]
    results = {name: _time(fn, iterations) for name, fn in cases}
    base = sum(results[cases[0][0]]) / iterations * 1e6
    rows = []
    for name, samples in results.items():
        mean = sum(samples) / len(samples) * 1e6
        note = f"median {median(samples) * 1e6:.0f}, p95 {percentile(samples, 95) * 1e6:.0f} us"
        rows.append(Row(name, mean, "us/msg", ratio(mean, base), note))
    table(
        f"2. Cost of building a message (mean of {iterations}; {len(sample.raw):,} bytes; "
        "ratio >1x = slower)",
        rows,
    )
