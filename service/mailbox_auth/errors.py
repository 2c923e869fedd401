"""What can go wrong with a stored sign-in, in words that say how to fix it."""

from __future__ import annotations


class SignInProblem(RuntimeError):
    """No usable sign-in: none stored, revoked, or the provider cannot be reached.

    `lasting` is True when waiting will not help (revoked, never logged in): a person
    has to run `decline mailbox login` again."""

    def __init__(self, message: str, *, lasting: bool) -> None:
        super().__init__(message)
        self.lasting = lasting


class OAuthError(RuntimeError):
    """The provider's token endpoint answered with an OAuth2 error (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description = error, description
