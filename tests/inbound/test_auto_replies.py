"""Out-of-office notes as responders send them, with and without auto-reply headers, and the
human answers that mention an absence and must stay replies."""

from __future__ import annotations

from datetime import date

import pytest

from service.inbound.classify import Detected, parse


def note(body: str, subject: str = "RE: Interview for the Data Engineer role") -> bytes:
    """A message as a mail client's rule sends it: no Auto-Submitted, no X-Autoreply, no
    Precedence; just a reply from the contact's own address."""
    head = (
        "From: Jordan Lee <jordan.lee@acme.example>\r\n"
        "To: Ada Lovelace <ada@home.example>\r\n"
        f"Subject: {subject}\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        "Message-ID: <note.1@acme.example>\r\n"
        "In-Reply-To: <decline.1@home.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.replace("\n", "\r\n").encode()


NOTES_WITHOUT_HEADERS = {
    "Outlook rule, English": (
        "Hello,\n\nI am currently out of the office with limited access to email. I will "
        "respond when I return on Monday, December 7.\n\nFor urgent matters please contact "
        "hr@acme.example.\n\nBest regards,\nJordan Lee\nTalent Acquisition",
        date(2026, 12, 7),
    ),
    "Gmail filter, German": (
        "Vielen Dank für Ihre Nachricht.\n\nIch bin bis einschließlich 4. Dezember nicht im "
        "Büro und habe nur eingeschränkt Zugriff auf meine E-Mails. In dringenden Fällen "
        "wenden Sie sich bitte an personal@acme.example.\n\nMit freundlichen Grüßen\nJordan Lee",
        date(2026, 12, 5),
    ),
    "Exchange gateway, French": (
        "Bonjour,\n\nJe suis absente du bureau jusqu'au 4 décembre inclus. Pendant mon absence, "
        "vous pouvez contacter rh@acme.example.\n\nCordialement,\nJordan Lee",
        date(2026, 12, 5),
    ),
    "Zimbra, Spanish": (
        "Gracias por su mensaje.\n\nEstoy fuera de la oficina hasta el 4 de diciembre. En caso "
        "de urgencia, escriba a rrhh@acme.example.\n\nSaludos,\nJordan Lee",
        date(2026, 12, 5),
    ),
    "Outlook rule, Dutch": (
        "Beste afzender,\n\nIk ben afwezig tot en met 4 december. In dringende gevallen kunt u "
        "contact opnemen met hr@acme.example.\n\nMet vriendelijke groet,\nJordan Lee",
        date(2026, 12, 5),
    ),
    "Apple Mail rule, Italian": (
        "Buongiorno,\n\nsono fuori ufficio fino al 4 dicembre. In caso di urgenza contattare "
        "hr@acme.example.\n\nCordiali saluti,\nJordan Lee",
        date(2026, 12, 5),
    ),
    "Outlook rule, Portuguese": (
        "Olá,\n\nEstou de férias e estarei de volta em 7 de dezembro. Em caso de urgência, "
        "contacte rh@acme.example.\n\nCumprimentos,\nJordan Lee",
        None,  # the date is for the return-date reader's own tests
    ),
    "Outlook rule, Japanese": (
        "お世話になっております。\n\n誠に勝手ながら、12月4日まで休暇をいただいております。\n"
        "ご返信が遅れますことをご了承ください。\n\nJordan Lee",
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(NOTES_WITHOUT_HEADERS))
def test_a_note_without_any_auto_reply_header_is_an_auto_reply(name: str) -> None:
    body, back = NOTES_WITHOUT_HEADERS[name]
    mail = parse(note(body))
    assert mail.detected is Detected.auto_reply, mail.reason
    assert mail.reason.startswith("out-of-office note")
    if back is not None:
        assert mail.return_date == back


@pytest.mark.parametrize(
    "body",
    [
        "Thanks for letting me know, Ada. I'm on vacation until Friday, but best of luck with "
        "the new role!\n\nJordan",
        "Danke für die Info! Ich bin zwar im Urlaub, aber ich gebe es an das Team weiter. "
        "Viel Erfolg!\n\nJordan",
        "Je suis absente cette semaine, mais merci de m'avoir prévenue. Bonne continuation !",
        "Understood. In my absence next week Sam will close the requisition.",
        # the absence words are only in the quote of a responder's earlier note
        "Sure, I will pass it on.\n\nOn Mon, 30 Nov 2026, Sam wrote:\n> I am out of the office "
        "until 4 December.\n",
    ],
)
def test_a_person_who_mentions_an_absence_has_still_answered(body: str) -> None:
    mail = parse(note(body))
    assert mail.detected is Detected.reply, mail.reason
    assert mail.return_date is None


def test_a_long_letter_is_a_persons_even_with_absence_words() -> None:
    letter = "I am out of the office today, so a longer note. " + "We talked it over. " * 300
    assert parse(note(letter)).detected is Detected.reply


@pytest.mark.parametrize(
    ("subject", "back"),
    [
        ("AUTO: Jordan Lee is out of the office (returning 12/07/2026)", date(2026, 12, 7)),
        ("AUTO: Jordan Lee is on vacation (returning 07.12.2026)", date(2026, 12, 7)),
        ("Re: AUTO: Jordan Lee is out of the office", None),
    ],
)
def test_lotus_subjects_with_their_returning_tail(subject: str, back: date | None) -> None:
    mail = parse(note("I will respond to your message when I return.", subject=subject))
    assert mail.detected is Detected.auto_reply, mail.reason
    assert mail.reason.startswith("out-of-office subject")
    assert mail.return_date == back
