"""Which mailbox is the Sent folder, from the server's LIST answer (RFC 6154)."""

import re

# `* LIST (\HasNoChildren \Sent) "/" "Sent Items"` or `... "/" Sent`.
_LIST_LINE = re.compile(r'^\(([^)]*)\)\s+(?:"(?:[^"\\]|\\.)*"|NIL)\s+(.+)$', re.IGNORECASE)


def parse_list_line(line: str) -> tuple[set[str], str] | None:
    """The attributes (lower-cased) and mailbox name of one LIST response line."""
    text = line.strip()
    if text.upper().startswith("* LIST "):
        text = text[7:]
    match = _LIST_LINE.match(text)
    if match is None:
        return None
    attributes = {a.lower() for a in match.group(1).split()}
    name = match.group(2).strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return attributes, name


def choose_sent_folder(list_lines: list[str], configured: str) -> str | None:
    """The mailbox flagged \\Sent, else the configured name if it exists, else None.

    The flag wins over the name because a server that marks one says where its own
    clients put sent mail, whatever the mailbox is called ("Sent Items", "Gesendet").
    """
    mailboxes = [parsed for line in list_lines if (parsed := parse_list_line(line))]
    for attributes, name in mailboxes:
        if "\\sent" in attributes and "\\noselect" not in attributes:
            return name
    for attributes, name in mailboxes:
        if name.lower() == configured.lower() and "\\noselect" not in attributes:
            return name
    return None
