from datetime import UTC, datetime, timedelta

from service.sent_copies.folder import choose_sent_folder, parse_list_line
from service.sent_copies.retry import MAX_DELAY, next_attempt

LISTING = [
    '* LIST (\\HasNoChildren) "/" INBOX',
    '* LIST (\\HasNoChildren \\Sent) "/" "Sent Items"',
    '* LIST (\\HasNoChildren) "/" Sent',
]


def test_the_mailbox_flagged_sent_wins_over_the_configured_name() -> None:
    assert choose_sent_folder(LISTING, "Sent") == "Sent Items"


def test_without_special_use_the_configured_name_is_used() -> None:
    plain = ['* LIST (\\HasNoChildren) "." INBOX', '* LIST () "." "Sent"']
    assert choose_sent_folder(plain, "sent") == "Sent"


def test_no_flag_and_no_such_mailbox_gives_none() -> None:
    assert choose_sent_folder(['* LIST () "/" INBOX'], "Sent") is None


def test_a_noselect_mailbox_is_never_chosen() -> None:
    assert choose_sent_folder(['* LIST (\\Noselect \\Sent) "/" Sent'], "Sent") is None


def test_quoted_names_are_unescaped() -> None:
    assert parse_list_line('(\\Sent) "/" "My \\"Sent\\""') == ({"\\sent"}, 'My "Sent"')


def test_backoff_doubles_and_is_capped() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_attempt(1, now) == now + timedelta(minutes=1)
    assert next_attempt(3, now) == now + timedelta(minutes=4)
    assert next_attempt(50, now) == now + MAX_DELAY
