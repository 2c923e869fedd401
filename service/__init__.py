"""Decline job-interview invitations politely, keep the copy, make sure it landed."""
