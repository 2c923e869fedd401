"""OAuth2 sign-in for Gmail and Microsoft 365 mailboxes: the device-code login, the
encrypted token store shared by replicas, and fresh access tokens for XOAUTH2."""

from service.mailbox_auth.errors import SignInProblem
from service.mailbox_auth.tokens import TokenSource, sign_in_problem, token_source, xoauth2_string

__all__ = ["SignInProblem", "TokenSource", "sign_in_problem", "token_source", "xoauth2_string"]
