"""The API's fixtures: a running app on each database, and a key for it."""

from tests.api.conftest import client, settings, token  # noqa: F401 - the fixtures
