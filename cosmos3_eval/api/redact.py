"""Strip credentials from URLs and free text before anything is written or shown.

A user may put a key into a URL (``http://user:KEY@host/v1``, ``...?api_key=KEY``); the run
directory, the logs and every error message must never carry it. Everything that writes a
string that could hold a URL (adapters' ``ModelInfo.params`` and errors, the manifest's
``argv``) passes it through :func:`redact_text` or :func:`redact_url` here, so the rule is
written once.
"""

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

SECRET_QUERY_KEYS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "api-key",
        "token",
        "access_token",
        "auth",
        "auth_token",
        "id_token",
        "refresh_token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "code",
    }
)
"""Query parameters whose values are credentials (compared case-insensitively)."""

# scheme://[userinfo@]host...: stops at whitespace, at the quotes/brackets that end a URL in
# prose, JSON or a repr, and at a comma (``--model-args`` separates its items with commas).
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\",<>()\[\]{}]+")
_QUERY_PAIR = re.compile(r"([?&;]([A-Za-z0-9_.-]+)=)([^&\s'\",<>#]*)")


def _secret_key(name: str) -> bool:
    low = name.lower()
    return low in SECRET_QUERY_KEYS or low.endswith(("_key", "_token", "_secret", "-key"))


def redact_url(url: str) -> str:
    """``url`` with its userinfo and credential query values replaced by ``REDACTED``.

    ``http://user:KEY@host:8000/v1?api_key=S&x=1`` becomes
    ``http://REDACTED@host:8000/v1?api_key=REDACTED&x=1``. A string that is not a URL is
    returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_key(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if _secret_key(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """``text`` with every URL in it passed through :func:`redact_url`.

    A bare ``?api_key=...`` / ``&token=...`` outside a full URL (``requests`` prints only the
    path and query of a failed URL) is redacted too.
    """
    if "://" in text:
        text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    if "=" in text:
        text = _QUERY_PAIR.sub(
            lambda m: m.group(1) + (REDACTED if _secret_key(m.group(2)) else m.group(3)), text
        )
    return text


def redact_argv(argv: Iterable[str]) -> list[str]:
    """A command line with every URL in every argument redacted (for the manifest)."""
    return [redact_text(str(a)) for a in argv]


def redact_value(value: Any) -> Any:
    """A JSON-like value with every string in it passed through :func:`redact_text`."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    return value
