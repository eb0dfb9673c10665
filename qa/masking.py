"""Masking secrets for display: API keys, and the credentials people put inside endpoint URLs
(`http://user:pass@host/v1`, `?api_key=...`, `?token=...`). Shown values are for recognising a
setting, never for copying it back."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# Query parameters whose value is a credential: an exact name, or one containing a secret word.
_SECRET_PARAMS = frozenset({"key", "sig", "signature", "code", "pass", "pwd"})
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "auth", "credential")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()]+")


def mask_secret(secret: str) -> str:
    """Enough to recognise a long key (first 3 and last 2 characters), nothing of a short one."""
    return (secret[:3] + "…" + secret[-2:]) if len(secret) > 8 else "****"


def _secret_param(name: str) -> bool:
    name = name.lower()
    return name in _SECRET_PARAMS or any(word in name for word in _SECRET_WORDS)


def _mask_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):  # by hand: parse_qsl/urlencode would re-encode the rest
        name, sep, value = pair.partition("=")
        pairs.append(f"{name}={mask_secret(value)}" if sep and _secret_param(name) else pair)
    return "&".join(pairs)


def mask_url(url: str) -> str:
    """`url` with the password (or a lone user, often a token) and secret query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed netloc: mask anything before an "@"
        return re.sub(r"//[^/@]*@", "//****@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, password = userinfo.partition(":")
        netloc = (f"{user}:{mask_secret(password)}" if sep else mask_secret(user)) + "@" + host
    return urlunsplit((parts.scheme, netloc, parts.path, _mask_query(parts.query),
                       parts.fragment))


def mask_urls_in(text: str) -> str:
    """Every URL inside a message masked (an error can quote an endpoint anywhere)."""
    return _URL.sub(lambda m: mask_url(m.group()), text) if "://" in text else text
