"""Endpoint URLs: the one parser of what is sent, and the check of what is stored."""

from __future__ import annotations

import re
from typing import Any

from yarl import URL

from .checks import Collector, check_optional_text

URL_MAX = 2000

# The source allows alphanumerics and - _ . ~ : / ? # @ ! $ & ( ) * + , ; = ; '%' is added so
# percent-encoded URLs (the only way to carry other characters) are accepted.
_URL_ALLOWED = re.compile(r"[A-Za-z0-9\-_.~:/?#@!$&()*+,;=%]")
_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class URLProblem(ValueError):
    """Why a text is not a usable endpoint URL, worded to follow the field name."""


def _authority_span(text: str) -> tuple[int, int]:
    """Where the authority (user info, host, port) lies in ``text``: after ``//``, up to the
    first ``/``, ``?`` or ``#``."""
    begin = text.find("//")
    if begin < 0:
        return (0, 0)
    begin += 2
    end = len(text)
    for mark in "/?#":
        found = text.find(mark, begin)
        if found >= 0:
            end = min(end, found)
    return (begin, end)


def parse_endpoint_url(text: str, *, drop_user_info: bool = False) -> URL:
    """The one parser of endpoint URLs: what validation accepts is what is sent, byte for byte.

    The result is the URL on the wire (``yarl.URL`` built with ``encoded=True``): the path and
    query exactly as typed, never re-quoted (``?sp=%2Ftriggers`` stays so); an IDN host in
    punycode (``bücher.example`` goes out as ``xn--bcher-kva.example``); an IPv6 literal in
    brackets. Characters outside the source's set (see ``_URL_ALLOWED``) are refused, except
    letters of an international host name and the brackets of an IPv6 literal, in the host.

    User info (``https://user:pass@host/``) is refused: it would be stored and shown like any
    other part of the URL, and a webhook authenticates with its authentication profile.
    ``drop_user_info`` is for URLs stored before that rule: the sender drops it (as it always
    did) instead of failing every delivery. Raises :class:`URLProblem`.
    """
    begin, end = _authority_span(text)
    for position, ch in enumerate(text, start=1):
        in_host = begin < position <= end
        if _URL_ALLOWED.fullmatch(ch) or (in_host and (ch in "[]" or (not ch.isascii() and ch.isalnum()))):
            continue
        shown = repr(ch) if ch.isprintable() and ch != " " else f"U+{ord(ch):04X}" + (" (space)" if ch == " " else "")
        raise URLProblem(
            f"character {shown} at position {position} is not allowed; use letters, digits and "
            "- _ . ~ : / ? # @ ! $ & ( ) * + , ; = (percent-encode anything else, e.g. %20)"
        )
    bad_escape = _PERCENT_ESCAPE.search(text)
    if bad_escape:
        raise URLProblem(f"'%' at position {bad_escape.start() + 1} must start a percent-escape such as %20")
    try:
        raw = URL(text, encoded=True)
        port = raw.explicit_port
    except ValueError as exc:
        raise URLProblem(f"is not a valid URL ({exc})") from None
    scheme = raw.scheme.lower()
    if scheme not in ("http", "https") or "//" not in text:
        raise URLProblem("must be an absolute http:// or https:// URL")
    host = raw.raw_host
    if not host:
        raise URLProblem("must name a host, e.g. https://hooks.example.com/ems")
    if "@" in text[begin:end] and not drop_user_info:
        raise URLProblem(
            "must not contain a user name or password (user@host); give the endpoint's credentials "
            "in an authentication profile and choose it as the webhook's authProfile"
        )
    if port == 0:
        raise URLProblem("port 0 is not a valid port")
    if not host.isascii():
        try:
            host = URL.build(scheme=scheme, host=host).raw_host
        except (ValueError, UnicodeError):
            raise URLProblem(f"'{host}' is not a valid international domain name") from None
    authority = f"[{host}]" if ":" in host else host
    if port is not None:
        authority += f":{port}"
    query = f"?{raw.raw_query_string}" if raw.raw_query_string else ""
    return URL(f"{scheme}://{authority}{raw.raw_path or '/'}{query}", encoded=True)


def check_http_url(value: Any, errors: Collector, field: str, *, required: bool = True) -> str | None:
    """The text as typed (stored so, shown so); :func:`parse_endpoint_url` says what is sent."""
    if value is None or value == "":
        if required:
            errors.add(field, "is required")
        return None
    if check_optional_text(value, errors, field, URL_MAX) is None:
        return None
    try:
        parse_endpoint_url(value)
    except URLProblem as exc:
        errors.add(field, str(exc))
        return None
    return value
