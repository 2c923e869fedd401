"""The API's fixtures (`settings`, `client`, `token`) for the inbound tests that post mail."""

from tests.api.conftest import client, settings, token  # noqa: F401 - the fixtures
