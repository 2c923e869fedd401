"""Decline job-interview invitations politely, keep the copy, make sure it landed."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("decline-service")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
