"""Webhooks following the Standard Webhooks specification."""
