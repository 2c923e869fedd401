"""Webhooks following the Standard Webhooks specification."""

from service.webhooks.events import EventType
from service.webhooks.service import any_endpoints, emit

__all__ = ["EventType", "any_endpoints", "emit"]
