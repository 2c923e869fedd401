"""Read one raw inbound message safely: the caps first, then the parser and classifier.

Pure: no I/O. This is what the worker processes run (service.inbound.worker), and what a
test or a benchmark may call in-process. A message over a cap, or one the parser fails on
in any way (a RecursionError included), is `Unparseable`: kept and shown, never acted on.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.inbound.classify import InboundMail, NotAnEmail, parse
from service.inbound.guard import over_cap

__all__ = ["NotAnEmail", "Unparseable", "read"]

MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class Unparseable:
    reason: str  # which cap, or what went wrong, in a few words


def read(raw: bytes) -> InboundMail | Unparseable:
    """Classify `raw`, or say why it cannot be. Raises NotAnEmail (a ValueError) when `raw`
    is no email at all, as `parse` does."""
    reason = over_cap(raw)
    if reason is not None:
        return Unparseable(f"over a cap: {reason}")
    try:
        return parse(raw)
    except NotAnEmail:
        raise
    except RecursionError:
        return Unparseable("parser error: nested too deeply (RecursionError)")
    except Exception as exc:  # noqa: BLE001 - any parser failure keeps the message unread
        return Unparseable(f"parser error: {type(exc).__name__}: {exc}"[:MAX_REASON_CHARS])
