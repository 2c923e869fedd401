"""The request says exactly what the caller meant: unknown fields are refused everywhere
(with the likely field named), the new choices are checked, and requests stored before
still read back."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.declines import service as declines
from service.declines.schemas import DeclineCreate
from tests.factories import decline_body

REFERRAL = {"name": "Grace Hopper", "email": "grace@personal.example", "permission_confirmed": True}


def refusal(body: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        DeclineCreate.model_validate(body)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


@pytest.mark.parametrize(
    ("body", "where", "meant"),
    [
        (decline_body(personal_noet="Hi"), ("personal_noet",), "personal_note"),
        (decline_body(salutation="Dear"), ("salutation",), None),
        (
            decline_body(candidate={"name": "Ada", "email": "ada@home.example", "phne": "+1"}),
            ("candidate", "phne"),
            "phone",
        ),
        (
            decline_body(contacts=[{"name": "C", "email": "c@engines.example", "greting": "team"}]),
            ("contacts", 0, "greting"),
            "greeting",
        ),
        (decline_body(referral={**REFERRAL, "relation": "friend"}), ("referral", "relation"), None),
        (
            decline_body(future_interest={"area": "compilers"}),
            ("future_interest", "area"),
            None,
        ),
    ],
    ids=["top", "top-no-match", "candidate", "contact", "referral", "future_interest"],
)
def test_an_unknown_field_anywhere_is_refused_by_name(
    body: dict[str, Any], where: tuple[Any, ...], meant: str | None
) -> None:
    errors = refusal(body)
    assert [loc for loc, _ in errors] == [where]
    message = errors[0][1]
    assert message.startswith(f"unknown field {where[-1]}")
    if meant:
        assert message.endswith(f"did you mean {meant}?")


def test_an_unknown_field_is_reported_beside_the_other_errors() -> None:
    errors = refusal(decline_body(company="", sign_of="kind_regards"))
    assert {loc for loc, _ in errors} == {("company",), ("sign_of",)}
    assert dict(errors)[("company",)].endswith("must not be empty")  # words kept as they were
    assert dict(errors)[("sign_of",)] == "unknown field sign_of; did you mean sign_off?"


def test_a_stored_request_with_fields_since_removed_still_reads() -> None:
    stored = DeclineCreate.model_validate(decline_body()).model_dump(mode="json")
    stored["retired_option"] = True
    stored["contacts"][0]["nickname"] = "Charlie"
    request = DeclineCreate.from_stored(stored)
    assert request.contacts[0].name == "Charles Babbage"
    with pytest.raises(ValidationError):
        DeclineCreate.model_validate(stored)


def test_a_request_stored_before_the_new_choices_reads_with_their_defaults() -> None:
    old = decline_body(referral=REFERRAL)  # as accepted before languages and greetings
    request = DeclineCreate.from_stored(old)
    assert request.language == "en" and request.open_door and request.sign_off == "best_regards"
    assert request.referral is not None and request.referral.share_with == [0]
    assert request.invitation_from == 0 and request.contacts[0].greeting is None


def test_the_fingerprint_of_an_old_body_is_unchanged_by_the_new_defaults() -> None:
    # A retry across an upgrade must still match its first attempt's Idempotency-Key.
    body = decline_body(referral=REFERRAL)
    old_shape = DeclineCreate.model_validate(body).model_dump(mode="json")
    for name in ("language", "open_door", "they_approached_me", "personal_note", "sign_off"):
        old_shape.pop(name)
    for name in ("invitation_subject", "invitation_from"):
        old_shape.pop(name)
    for contact in old_shape["contacts"]:
        for name in ("language", "greeting", "title", "greeting_name"):
            contact.pop(name)
    for name in ("relationship", "share_with"):
        old_shape["referral"].pop(name)
    import hashlib
    import json

    first_kept = json.dumps(old_shape, sort_keys=True, separators=(",", ":"))
    fingerprint = declines.request_fingerprint(DeclineCreate.model_validate(body))
    assert fingerprint == hashlib.sha256(first_kept.encode()).hexdigest()
    other = declines.request_fingerprint(DeclineCreate.model_validate({**body, "language": "de"}))
    assert other != fingerprint


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("x" * 401, "is 401 characters long; keep a personal note to one short paragraph"),
        ("First paragraph.\n\nSecond paragraph.", "must be one paragraph"),
        ("   ", "must not be empty"),
        ("Bell\x07", "must be plain text"),
    ],
)
def test_a_personal_note_is_one_short_paragraph(note: str, problem: str) -> None:
    [(loc, message)] = refusal(decline_body(personal_note=note))
    assert loc == ("personal_note",) and problem in message


def test_a_personal_note_may_wrap_lines_and_is_joined() -> None:
    request = DeclineCreate.model_validate(
        decline_body(personal_note="  It was good to meet\r\nyour team in May.  ")
    )
    assert request.personal_note == "It was good to meet your team in May."
    assert DeclineCreate.model_validate(decline_body(personal_note="x" * 400)).personal_note


@pytest.mark.parametrize(
    ("overrides", "where", "problem"),
    [
        ({"invitation_from": 2}, (), "invitation_from 2 names no contact"),
        ({"invitation_from": -1}, ("invitation_from",), "greater than or equal to 0"),
        ({"referral": {**REFERRAL, "share_with": [0, 5]}}, (), "referral.share_with [0, 5]"),
        ({"referral": {**REFERRAL, "share_with": [1, 1]}}, (), "distinct indexes"),
        (
            {"referral": {**REFERRAL, "share_with": []}},
            ("referral", "share_with"),
            "names no contact to pass the referral on to",
        ),
        ({"sign_off": "cheers"}, ("sign_off",), "kind_regards"),
        ({"language": "it"}, ("language",), "'en', 'de', 'fr' or 'es'"),
        (
            {"open_door": False, "future_interest": {"functional_area": "compilers"}},
            (),
            "open_door: false leaves out",
        ),
        (
            {
                "contacts": [
                    {"name": "Mary Lee", "email": "m@e.example", "greeting": "title_surname"}
                ]
            },
            ("contacts", 0),
            "greeting title_surname needs a title",
        ),
        (
            {"contacts": [{"name": "Mary", "email": "m@e.example", "greeting": "formal"}]},
            ("contacts", 0, "greeting"),
            "'first_name', 'title_surname', 'full_name' or 'team'",
        ),
    ],
)
def test_the_new_choices_are_checked(
    overrides: dict[str, Any], where: tuple[Any, ...], problem: str
) -> None:
    errors = refusal(decline_body(**overrides))
    assert any(loc == where and problem in message for loc, message in errors), errors


def test_a_title_written_into_the_name_is_enough_for_a_title_greeting() -> None:
    contact = {"name": "Dr. Mary Somerville", "email": "m@e.example", "greeting": "title_surname"}
    assert DeclineCreate.model_validate(decline_body(contacts=[contact]))
