"""Outgoing mail headers written and checked by our own code, never by re-parsing caller text."""
