"""Delivery side of the transactional outbox: claim queued messages, send, record."""
