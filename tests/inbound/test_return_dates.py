"""The first day back read from out-of-office notes as mail clients send them, in eight
languages: the line the client writes, what people type around it, and signatures full of
dates that announce nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from service.inbound.classify import parse
from service.inbound.return_dates import extract_return_date

REAL_MAIL = Path(__file__).parent / "real_mail"

DEC_1 = date(2026, 12, 1)  # a Tuesday; the Monday after is 7 December
MONDAY = date(2026, 12, 7)
SATURDAY = date(2026, 12, 5)  # the day after a Friday 4 December, the last day away


@dataclass(frozen=True)
class Note:
    client: str  # which client wrote it, and what makes it hard
    text: str
    back: date | None
    received: date | None = DEC_1

    def __str__(self) -> str:
        return self.client


def outlook(subject: str, body: str) -> str:
    """What the classifier hands over: the subject, a blank line, the body."""
    return f"Automatic reply: {subject}\n\n{body}"


ENGLISH = [
    Note(
        "Outlook: until a long US date",
        outlook(
            "Interview invitation: Senior Data Engineer (REQ-4411)",
            "Thank you for your email.\n\n"
            "I am out of the office until Friday, December 4, 2026 with limited access to "
            "email. For urgent matters, please contact Sam Lee at sam.lee@example.com or "
            "+1 (415) 555-0142.\n\n"
            "Best regards,\nJordan Smith\nTalent Acquisition | Example Corp\n",
        ),
        SATURDAY,
    ),
    Note(
        "Outlook: starting one date and returning another",
        outlook(
            "Thank you",
            "Hello,\n\nI will be out of the office starting Monday, November 30, 2026 and "
            "returning on Monday, December 7, 2026. I will respond to your message as soon "
            "as possible upon my return.\n\nKind regards,\nPriya\n",
        ),
        MONDAY,
    ),
    Note(
        "Lotus Notes: client template, US month/day",
        "Out of Office: Re: Interview schedule\n\n"
        "I will be out of the office starting 12/01/2026 and will not return until "
        "12/08/2026.\n\nI will respond to your message when I return. For urgent requests "
        "call +1 212 555 0187.",
        date(2026, 12, 8),
    ),
    Note(
        "Gmail vacation responder: a weekday only",
        "Out of office\n\nHi,\n\nThanks for your note! I'm on vacation with no access to "
        "email and will be back on Monday. I'll reply as soon as I can.\n\nCheers,\nAlex\n",
        MONDAY,
    ),
    Note(
        "Gmail vacation responder: a weekday and no reference day",
        "I'm on vacation and will be back on Monday.",
        None,
        received=None,
    ),
    Note(
        "Apple Mail rule: weekday and ordinal without a month",
        "Re: Interview\n\nHi there, I'm travelling for work this week and back in the office "
        "on Monday the 7th. Speak then!\n\nSent from my iPhone",
        MONDAY,
    ),
    Note(
        "Zimbra: UK day/month range",
        "Out of Office\n\nI am currently out of the office on annual leave from 30/11/2026 to "
        "04/12/2026. I will respond on my return.\n\nZimbra Collaboration Suite\n"
        "Tel: 01632 960 983",
        SATURDAY,
    ),
    Note(
        "Outlook: a return, then a later date for answers",
        outlook(
            "Follow-up",
            "I'm away at a conference, returning 7 December. Responses may be delayed until "
            "9 December.\n\nThanks,\nMorgan",
        ),
        MONDAY,
    ),
    Note(
        "Exchange UK: ordinal and legal footer",
        outlook(
            "Your application",
            "I'm currently on annual leave, returning on Monday 7th December 2026. If your "
            "query is urgent please call the team on 020 7946 0018.\n\n"
            "This email and any attachments are confidential. Registered in England and "
            "Wales No. 01234567. Copyright 2026 Example Ltd. Sent on 1 Dec 2026.",
        ),
        MONDAY,
    ),
    Note(
        "Gmail: a range and a weekday return, the return wins",
        "Out of office 1-4 December. Back Monday, I'll reply then.",
        MONDAY,
    ),
    Note(
        "Outlook US: month then a day range",
        outlook(
            "Interview",
            "I am traveling December 1-4 with limited access to email. My colleague Dana "
            "(dana@example.com) can help in the meantime.",
        ),
        SATURDAY,
    ),
    Note(
        "Exchange real note: month then a day range",
        "***Please stop and read this message.***\n\nI will be traveling for work on July "
        "10-31.  During that time I will have intermittent access to email and phone, and I "
        "will respond to your message as promptly as possible.\n\nPhone: +0.000.000.0000 or "
        "+0.111.111.1112\nHours: 5am - 5:30pm Pacific Standard Time",
        date(2013, 8, 1),
        received=date(2013, 3, 16),
    ),
    Note(
        "Gmail: back tomorrow",
        "Hi! I'm at an offsite today and back tomorrow. Talk soon, Robin",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: two stretches of absence, the latter counts",
        outlook(
            "Catch-up",
            "I am on holiday until 4 December and then at a conference in Berlin until "
            "9 December, with limited access to email.",
        ),
        date(2026, 12, 10),
    ),
    Note(
        "Outlook: an office closure in the signature is not this absence",
        outlook(
            "Offer",
            "I am on leave until 4 December.\n\n"
            "--\nExample Corp. Please note our offices are closed for the holidays from "
            "24 December to 1 January.",
        ),
        SATURDAY,
    ),
    Note(
        "Outlook: an office closure in the same paragraph is not this absence",
        outlook(
            "Interview",
            "Our office will be closed from 24 December to 4 January. I am out of the office "
            "until 4 December.",
        ),
        SATURDAY,
    ),
    Note(
        "Gmail vacation responder: until the 4th, no month",
        "Hi, I'm on leave until the 4th. I'll get back to you when I return.",
        SATURDAY,
    ),
    Note(
        "Apple Mail rule: out until a short US date",
        "I am out until 12/4 with limited email. Sent from my iPad",
        SATURDAY,
    ),
    Note(
        "Apple Mail rule: no date announced, signature dates only",
        "Re: Next steps\n\nI am currently out of the office with limited access to email. I "
        "will respond as soon as possible.\n\nSent on 1 Dec 2026\nOffer valid until "
        "31 December 2026 | +44 20 7946 0958 | (c) 2026",
        None,
    ),
    Note(
        "Zimbra: only the start of the absence",
        "I will be out of the office starting Tuesday, December 1, 2026. Please contact "
        "hr@example.com.",
        None,
    ),
]

GERMAN = [
    Note(
        "Outlook: bis einschliesslich, then ab Montag, den 07.12.2026 wieder",
        "Automatische Antwort: Einladung zum Vorstellungsgespräch\n\n"
        "Vielen Dank für Ihre Nachricht.\n\nIch bin bis einschließlich Freitag, 04.12.2026 "
        "nicht im Büro und habe keinen Zugriff auf meine E-Mails. Ab Montag, den 07.12.2026 "
        "bin ich wieder für Sie erreichbar.\n\nIn dringenden Fällen wenden Sie sich bitte an "
        "Frau Weber, Tel. +49 89 1234-5678.\n\nMit freundlichen Grüßen\nAnna Schmidt",
        MONDAY,
    ),
    Note(
        "Lotus Notes: client template, ich kehre zurueck am",
        "Abwesenheitsnotiz: Ihre Bewerbung\n\nIch werde ab 01.12.2026 nicht im Büro sein. "
        "Ich kehre zurück am 08.12.2026.\n\nIch werde Ihre Nachricht nach meiner Rückkehr "
        "beantworten.",
        date(2026, 12, 8),
    ),
    Note(
        "Gmail: ab Montag wieder da",
        "Hallo,\n\ndanke für deine Mail. Ich bin im Urlaub und ab Montag wieder da.\n\n"
        "Viele Grüße\nKim",
        MONDAY,
    ),
    Note(
        "Apple Mail rule: vom 30.11. bis 4.12.",
        "Ich bin vom 30.11. bis 4.12. im Urlaub. Ihre Nachricht wird nicht weitergeleitet.\n\n"
        "Von meinem iPhone gesendet",
        SATURDAY,
    ),
    Note(
        "Zimbra: zurueck am Montag",
        "Ich bin auf Dienstreise und zurück am Montag. Beste Grüße, Jonas",
        MONDAY,
    ),
    Note(
        "Exchange: 7. Dezember, two dates",
        "Ich befinde mich bis zum 4. Dezember auf Dienstreise. Ab dem 7. Dezember bin ich "
        "wieder im Büro.",
        MONDAY,
    ),
    Note(
        "Outlook: vom 1. bis 4. Dezember 2026",
        "Vielen Dank für Ihre E-Mail. Ich bin vom 1. bis 4. Dezember 2026 im Urlaub und "
        "kann Ihre Nachricht leider nicht lesen.",
        SATURDAY,
    ),
    Note(
        "Gmail: ab morgen wieder",
        "Ich bin heute auf einer Schulung und ab morgen wieder erreichbar.",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date, gueltig bis in the same paragraph",
        "Ich bin derzeit nicht im Büro. Unser Angebot ist gültig bis 31.12.2026.\n\n"
        "Beispiel GmbH, Handelsregister HRB 12345, Amtsgericht München, "
        "Tel. 089 12 34 56-0",
        None,
    ),
]

FRENCH = [
    Note(
        "Outlook: jusqu'au ... inclus, then de retour le lundi 7 decembre 2026",
        "Réponse automatique : Entretien\n\nBonjour,\n\nJe suis absente du bureau jusqu'au "
        "vendredi 4 décembre inclus. Je serai de retour le lundi 7 décembre 2026.\n\nPour "
        "toute urgence, contactez le 01 23 45 67 89.\n\nCordialement,\nClaire Martin",
        MONDAY,
    ),
    Note(
        "Lotus Notes: a partir du ... de retour le",
        "Je serai absent(e) à partir du 01/12/2026 de retour le 08/12/2026.",
        date(2026, 12, 8),
    ),
    Note(
        "Gmail: de retour lundi",
        "Bonjour, je suis en congés, de retour lundi. Bonne journée !",
        MONDAY,
    ),
    Note(
        "Apple Mail rule: du 1er au 4 decembre",
        "Je suis en congé du 1er au 4 décembre. En cas d'urgence, merci d'écrire à rh@example.fr.",
        SATURDAY,
    ),
    Note(
        "Zimbra: jusqu'au 04/12/2026",
        "Je suis en déplacement jusqu'au 04/12/2026 avec un accès limité à mes e-mails.",
        SATURDAY,
    ),
    Note(
        "Gmail: de retour demain",
        "Je suis en formation aujourd'hui, de retour demain.",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date, offre valable jusqu'au",
        "Je suis actuellement absent du bureau. Notre offre est valable jusqu'au "
        "31/12/2026.\n\nEnvoyé le 1 déc. 2026",
        None,
    ),
]

SPANISH = [
    Note(
        "Outlook: hasta el viernes 4 de diciembre de 2026",
        "Respuesta automática: Entrevista\n\nGracias por su mensaje. Estaré fuera de la "
        "oficina hasta el viernes 4 de diciembre de 2026, con acceso limitado al correo. "
        "Para asuntos urgentes, llame al +34 912 345 678.\n\nUn saludo,\nLucía",
        SATURDAY,
    ),
    Note(
        "Lotus Notes: desde el ... y no volvere hasta el",
        "Estaré ausente de la oficina desde el 01/12/2026 y no volveré hasta el 08/12/2026.",
        date(2026, 12, 8),
    ),
    Note(
        "Gmail: regreso el lunes",
        "Hola, estoy de vacaciones y regreso el lunes. Un saludo.",
        MONDAY,
    ),
    Note(
        "Apple Mail rule: del 30 de noviembre al 4 de diciembre",
        "Estaré de vacaciones del 30 de noviembre al 4 de diciembre, ambos inclusive.",
        SATURDAY,
    ),
    Note(
        "Zimbra: me reincorporo el lunes 7 de diciembre",
        "Me encuentro fuera de la oficina. Me reincorporo el lunes 7 de diciembre.\n\n"
        "Tel. 91 123 45 67",
        MONDAY,
    ),
    Note(
        "Gmail: de vuelta manana",
        "Hoy estoy fuera; estaré de vuelta mañana.",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date announced",
        "Actualmente me encuentro fuera de la oficina. Responderé a la mayor brevedad "
        "posible.\n\nEnviado el 1 de diciembre de 2026 desde mi móvil",
        None,
    ),
]

DUTCH = [
    Note(
        "Outlook: tot en met, then vanaf maandag 7 december weer",
        "Automatisch antwoord: Uitnodiging\n\nBedankt voor je bericht. Ik ben afwezig tot en "
        "met vrijdag 4 december 2026 en lees mijn e-mail niet. Vanaf maandag 7 december ben "
        "ik weer bereikbaar.\n\nMet vriendelijke groet,\nSanne",
        MONDAY,
    ),
    Note(
        "Lotus Notes: vanaf ... niet op kantoor, ik kom terug op",
        "Ik ben vanaf 01-12-2026 niet op kantoor. Ik kom terug op 08-12-2026.",
        date(2026, 12, 8),
    ),
    Note(
        "Gmail: maandag weer op kantoor",
        "Hoi, ik ben met vakantie en ben maandag weer op kantoor. Groetjes, Daan",
        MONDAY,
    ),
    Note(
        "Apple Mail rule: van 30 november t/m 4 december",
        "Ik ben met vakantie van 30 november t/m 4 december.",
        SATURDAY,
    ),
    Note(
        "Zimbra: t/m 04-12-2026 met verlof",
        "Ik ben t/m 04-12-2026 met verlof. Voor dringende zaken kunt u bellen met 020 123 4567.",
        SATURDAY,
    ),
    Note(
        "Gmail: morgen weer",
        "Ik ben vandaag vrij en morgen weer op kantoor.",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date announced",
        "Ik ben momenteel niet op kantoor en lees mijn mail beperkt.\n\n"
        "Verzonden op 1 december 2026",
        None,
    ),
]

ITALIAN = [
    Note(
        "Outlook: fino a venerdi ... compreso, then rientrero lunedi 7 dicembre 2026",
        "Risposta automatica: Colloquio\n\nGrazie per il messaggio. Sarò fuori ufficio fino "
        "a venerdì 4 dicembre compreso. Rientrerò lunedì 7 dicembre 2026.\n\nCordiali saluti",
        MONDAY,
    ),
    Note(
        "Lotus Notes: a partire dal ... e non tornero fino al",
        "Sarò assente dall'ufficio a partire dal 01/12/2026 e non tornerò fino al 08/12/2026.",
        date(2026, 12, 8),
    ),
    Note(
        "Gmail: rientro lunedi",
        "Ciao, sono in ferie e rientro lunedì. A presto!",
        MONDAY,
    ),
    Note(
        "Apple Mail rule: dal 30 novembre al 4 dicembre",
        "Sono in ferie dal 30 novembre al 4 dicembre.\n\nInviato da iPhone",
        SATURDAY,
    ),
    Note(
        "Zimbra: fino al 04/12/2026",
        "Sarò in viaggio fino al 04/12/2026 con accesso limitato alla posta.",
        SATURDAY,
    ),
    Note(
        "Gmail: di nuovo in ufficio domani",
        "Oggi sono fuori sede, di nuovo in ufficio domani.",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date announced",
        "Sono fuori ufficio con accesso limitato alla posta.\n\nInviato il 1 dic 2026",
        None,
    ),
]

PORTUGUESE = [
    Note(
        "Outlook: estarei de volta em 7 de dezembro",
        "Resposta automática: Entrevista\n\nObrigado pela sua mensagem. Estou fora do "
        "escritório e estarei de volta em 7 de dezembro. Em caso de urgência, contacte a "
        "Ana pelo +351 21 123 4567.\n\nCumprimentos,\nRui",
        MONDAY,
    ),
    Note(
        "Gmail: de ferias ate 4 de dezembro",
        "Olá! Estou de férias até 4 de dezembro, com acesso limitado ao e-mail.",
        SATURDAY,
    ),
    Note(
        "Apple Mail rule: retorno no dia 07/12",
        "Estou em viagem. Retorno no dia 07/12.\n\nEnviado do meu iPhone",
        MONDAY,
    ),
    Note(
        "Lotus Notes: a partir de ... e nao retornarei ate",
        "Estarei ausente do escritório a partir de 01/12/2026 e não retornarei até 08/12/2026.",
        date(2026, 12, 8),
    ),
    Note(
        "Zimbra: de 30 de novembro a 4 de dezembro",
        "Estarei de férias de 30 de novembro a 4 de dezembro.",
        SATURDAY,
    ),
    Note(
        "Gmail: volto na segunda-feira",
        "Estou fora hoje, volto na segunda-feira.",
        MONDAY,
    ),
    Note(
        "Outlook: ordinal, ate 1o de dezembro de 2026",
        "Estarei de licença até 1º de dezembro de 2026.",
        date(2026, 12, 2),
        received=date(2026, 11, 25),
    ),
    Note(
        "Gmail: de volta amanha",
        "Estou em treinamento hoje, de volta amanhã.",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date announced",
        "No momento estou fora do escritório. Responderei assim que possível.\n\n"
        "Enviado em 1 de dezembro de 2026",
        None,
    ),
]

JAPANESE = [
    Note(
        "Outlook: a range with weekdays, then in the office from the 7th (yori shussha)",
        "自動応答: 面接のご案内\n\nお世話になっております。\n"
        "誠に勝手ながら、12月1日(火)～12月4日(金)まで休暇をいただいております。\n"
        "12月7日(月)より出社いたしますので、ご返信はそれ以降となります。\n"
        "ご不便をおかけしますが、よろしくお願いいたします。\n\n山田 太郎\nTEL: 03-1234-5678",
        MONDAY,
    ),
    Note(
        "Gmail: back on 12/7 (ni modorimasu)",
        "12月7日に戻ります。それまではメールの確認が遅れます。",
        MONDAY,
    ),
    Note(
        "Apple Mail rule: full-width digits, a range until the 4th (made fuzai)",
        "１２月１日～１２月４日まで不在にしております。",
        SATURDAY,
    ),
    Note(
        "Lotus Notes: year/month/day slashes",
        "2026/12/01 から不在になります。2026/12/08 に戻ります。",
        date(2026, 12, 8),
    ),
    Note(
        "Zimbra: year, month, day and weekday, then in the office from (yori shussha)",
        "出張のため不在にしております。2026年12月7日(月)より出社予定です。",
        MONDAY,
    ),
    Note(
        "Gmail: back on Monday (getsuyoubi ni modorimasu)",
        "出張のため不在です。月曜日に戻ります。",
        MONDAY,
    ),
    Note(
        "Outlook: a range whose end has no month (1 to 4 made)",
        "12月1日～4日まで出張しております。",
        SATURDAY,
    ),
    Note(
        "Outlook: until Friday the 4th, answers from Monday the 7th on (ikou, junji)",
        "誠に勝手ながら12月4日(金)までお休みをいただいております。"
        "12月7日(月)以降、順次ご返信いたします。",
        MONDAY,
    ),
    Note(
        "Gmail: answering tomorrow (ashita taiou)",
        "本日は不在のため、明日対応いたします。",
        date(2026, 12, 2),
    ),
    Note(
        "Outlook: no date announced",
        "ただいま外出しております。折り返しご連絡いたします。\n\n2026年12月1日送信\n"
        "TEL: 03-1234-5678",
        None,
    ),
]


@pytest.mark.parametrize("note", ENGLISH, ids=str)
def test_english_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", GERMAN, ids=str)
def test_german_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", FRENCH, ids=str)
def test_french_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", SPANISH, ids=str)
def test_spanish_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", DUTCH, ids=str)
def test_dutch_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", ITALIAN, ids=str)
def test_italian_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", PORTUGUESE, ids=str)
def test_portuguese_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


@pytest.mark.parametrize("note", JAPANESE, ids=str)
def test_japanese_note(note: Note) -> None:
    assert extract_return_date(note.text, received=note.received) == note.back


def test_a_weekday_return_is_the_next_such_day_after_the_note_was_sent() -> None:
    note = "I am on leave and back on Monday."
    assert extract_return_date(note, received=date(2026, 12, 4)) == MONDAY  # a Friday
    assert extract_return_date(note, received=MONDAY) == date(2026, 12, 14)


@pytest.mark.parametrize(
    ("text", "received"),
    [
        ("I am out of the office from 1 December and back next week.", DEC_1),  # a start
        ("I will be out of the office starting 1 December and will not be back soon.", DEC_1),
        ("I am out of the office until Monday.", DEC_1),  # back on Monday, or on Tuesday?
        ("Je suis absent jusqu'à demain.", DEC_1),
        ("Ich bin bis 4.12. nicht im Haus.", None),  # a year-less date needs a reference day
    ],
)
def test_no_return_is_read_where_none_is_announced(text: str, received: date | None) -> None:
    assert extract_return_date(text, received=received) is None


def test_real_notes_give_their_labelled_return_date() -> None:
    labels = json.loads((REAL_MAIL / "labels.json").read_text())["messages"]
    notes = [label for label in labels if label.get("kind") == "ooo"]
    got = {n["path"]: parse((REAL_MAIL / n["path"]).read_bytes()).return_date for n in notes}
    want = {
        n["path"]: date.fromisoformat(n["return_date"]) if "return_date" in n else None
        for n in notes
    }
    assert got == want


# --- short notes: every date shape, and the phrases that say nothing -----------------------


@pytest.mark.parametrize(
    ("text", "received", "back"),
    [
        ("I will be back on Monday, 7 December 2026.", DEC_1, date(2026, 12, 7)),
        ("I'm returning on December 7.", DEC_1, date(2026, 12, 7)),
        ("I'll be back in the office on 2026-12-07.", DEC_1, date(2026, 12, 7)),
        ("I am out of the office until 4 December.", DEC_1, date(2026, 12, 5)),
        ("I am on leave until and including 4 December.", DEC_1, date(2026, 12, 5)),
        ("I am on vacation through Friday, December 4th, 2026.", DEC_1, date(2026, 12, 5)),
        ("I have limited access to email until 12/04/2026.", DEC_1, date(2026, 12, 5)),
        ("I am away until 04/12/2026.", date(2026, 4, 1), date(2026, 4, 13)),
        ("I am away until 25/12/2026.", DEC_1, date(2026, 12, 26)),
        ("Out of office 1-4 December.", DEC_1, date(2026, 12, 5)),
        ("On vacation from 30 November to 4 December 2026.", DEC_1, date(2026, 12, 5)),
        ("Return date: 7th of December", DEC_1, date(2026, 12, 7)),
        # German
        ("Ich bin bis einschließlich 4.12.2026 nicht im Büro.", DEC_1, date(2026, 12, 5)),
        ("Ich bin bis einschl. 4.12.26 abwesend.", DEC_1, date(2026, 12, 5)),
        ("Ab dem 7.12. bin ich wieder erreichbar.", DEC_1, date(2026, 12, 7)),
        ("Ich bin ab 7. Dezember wieder im Büro.", DEC_1, date(2026, 12, 7)),
        ("Ich bin bis zum 4. Dezember im Urlaub.", DEC_1, date(2026, 12, 5)),
        ("Ich bin am Montag, 7.12.2026 wieder da.", DEC_1, date(2026, 12, 7)),
        ("Ich bin bis 04/12 abwesend.", DEC_1, date(2026, 12, 5)),
        ("Ich bin bis 4.12. abwesend. Ab dem 7.12. wieder da.", DEC_1, date(2026, 12, 7)),
        # French
        ("Je serai de retour le 7 décembre.", DEC_1, date(2026, 12, 7)),
        ("Je suis absente jusqu’au 4 décembre inclus.", DEC_1, date(2026, 12, 5)),
        ("Je suis en congé du 1er au 4 décembre.", DEC_1, date(2026, 12, 5)),
        # Spanish
        ("Estaré fuera de la oficina hasta el 4 de diciembre.", DEC_1, date(2026, 12, 5)),
        ("Estaré de vuelta el 7 de diciembre de 2026.", DEC_1, date(2026, 12, 7)),
        # Dutch
        ("Ik ben afwezig tot en met 4 december.", DEC_1, date(2026, 12, 5)),
        ("Ik ben t/m 4-12-2026 met vakantie.", DEC_1, date(2026, 12, 5)),
        ("Vanaf 7 december ben ik weer aanwezig.", DEC_1, date(2026, 12, 7)),
        # Italian
        ("Sarò fuori ufficio fino al 4 dicembre.", DEC_1, date(2026, 12, 5)),
        ("I'm currently on annual leave, returning Monday 7th December.", DEC_1, date(2026, 12, 7)),
        ("I will be back after 4 December.", DEC_1, date(2026, 12, 5)),
        ("Out of office, back 7/12.", DEC_1, date(2026, 12, 7)),  # 12 July is further away
        ("Ab Montag, den 07.12.2026 bin ich wieder für Sie erreichbar.", DEC_1, date(2026, 12, 7)),
        (
            "Ich bin ab dem 30.11. im Urlaub und ab dem 7.12. wieder im Büro.",
            DEC_1,
            date(2026, 12, 7),
        ),
        ("Ich bin bis zum 04.12.2026 nicht im Haus.", DEC_1, date(2026, 12, 5)),
        ("Je suis absente du 30 novembre au 4 décembre inclus.", DEC_1, date(2026, 12, 5)),
        ("Je serai de retour au bureau le 07/12/2026.", DEC_1, date(2026, 12, 7)),
        ("Estaré de vacaciones del 30 de noviembre al 4 de diciembre.", DEC_1, date(2026, 12, 5)),
        ("Ik ben met vakantie van 30 november tot en met 4 december.", DEC_1, date(2026, 12, 5)),
        ("Sarò in ferie dal 30 novembre al 4 dicembre.", DEC_1, date(2026, 12, 5)),
        ("Rientrerò in ufficio il 7 dicembre.", DEC_1, date(2026, 12, 7)),
        # A year-less date takes the year that puts the return on or after `received`.
        ("I will be back on 5 January.", date(2026, 12, 20), date(2027, 1, 5)),
        ("I am on holiday until 31 December.", date(2026, 12, 20), date(2027, 1, 1)),
        ("I am on holiday until 31 December.", date(2027, 1, 1), date(2027, 1, 1)),
        ("Back on 1 December.", DEC_1, date(2026, 12, 1)),
        # The date can wrap onto the next line.
        ("I will be back on Monday,\n7 December 2026.", DEC_1, date(2026, 12, 7)),
        # Only dates tied to a return or absence phrase count.
        ("Regards, Pat. Offer valid until 31 December 2026.", DEC_1, None),
        ("I'll get back to you on 7 December.", DEC_1, None),
        ("Thank you for your message of 1 December 2026.", DEC_1, None),
        ("Our office party is on 18 December.", DEC_1, None),
        ("I am out of the office until further notice.", DEC_1, None),
        ("I am out of the office until Monday.", DEC_1, None),
        ("I am out of the office.\n\nMeetings until 9 December are cancelled.", DEC_1, None),
        ("I am on leave until 14:00 today.", DEC_1, None),
        ("> I will be back on 7 December.", DEC_1, None),  # quoted text is someone else's
        # Year-less without a reference day would be a guess.
        ("I will be back on 7 December.", None, None),
        ("I will be back on 7 December 2026.", None, date(2026, 12, 7)),
        # A stated year that is stale or absurd is not reliable.
        ("I will be back on 7 December 2025.", DEC_1, None),
        ("I will be back on 7 December 2062.", DEC_1, None),
        ("I will be back on 31 November 2026.", DEC_1, None),
        ("", DEC_1, None),
    ],
)
def test_extract_return_date(text: str, received: date | None, back: date | None) -> None:
    assert extract_return_date(text, received=received) == back
