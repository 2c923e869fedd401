"""Exports of kept mail and declines: mbox archives and CSV for spreadsheets."""
