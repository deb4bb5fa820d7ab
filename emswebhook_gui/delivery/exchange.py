"""What an attempt sent and got back, as stored per attempt for the attempt inspector (issue 19).

The request head is stored as sent (method, URL, every header), with the values of the headers
that carry a secret or are made from one replaced by ``•••``: ``Authorization`` (Basic
credentials, an OAuth token), ``Proxy-Authorization``, and the Standard Webhooks signature (an
HMAC of the body under the signing secret). So no secret reaches the database, while the
inspector still shows that the header was there.

The answer's head is the remote party's to choose, so it is bounded before it is stored: at most
:data:`MAX_HEADERS` headers, names of :data:`NAME_CHARS`, values of :data:`VALUE_CHARS`, and
:data:`HEAD_CHARS` for all of them together; what is left out is counted (``omitted``), so a
hostile endpoint costs at most a few KiB per attempt. The transport's own limits (8 KiB a line,
64 KiB a head) apply before this. Both heads are JSON text (``delivery_attempts.request_head``,
``response_head``), written with orjson: every attempt writes two, and the json module's
encoder was a tenth of a delivery's time on the event loop. :func:`as_api` turns them into the
REST and export shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

MASK = "•••"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "webhook-signature"})
MAX_HEADERS = 40
NAME_CHARS = 100
VALUE_CHARS = 512
HEAD_CHARS = 4096
REASON_CHARS = 200


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut: every text a remote
    party controls is stored capped (issue 15)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def masked(headers: Iterable[tuple[str, str]]) -> list[list[str]]:
    return [[name, MASK if name.lower() in SECRET_HEADERS else value] for name, value in headers]


def request_head(method: str, url: str, headers: Iterable[tuple[str, str]]) -> str:
    """The request as sent, secrets masked. Our own headers: small, no cap needed beyond the URL's."""
    return orjson.dumps({"method": method, "url": url, "headers": masked(headers)}).decode()


def response_head(status: int, reason: str, raw_headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The answer's status line and headers, bounded (see the module's docstring)."""
    kept: list[list[str]] = []
    size = omitted = 0
    for raw_name, raw_value in raw_headers:
        if len(kept) >= MAX_HEADERS:
            omitted += 1
            continue
        name = cap(raw_name.decode("latin-1"), NAME_CHARS)
        value = cap(raw_value.decode("latin-1"), VALUE_CHARS)
        if size + len(name) + len(value) > HEAD_CHARS:
            omitted += 1
            continue
        size += len(name) + len(value)
        kept.append([name, MASK if name.lower() in SECRET_HEADERS else value])
    head: dict[str, Any] = {"status": status, "reason": cap(reason, REASON_CHARS), "headers": kept}
    if omitted:
        head["omitted"] = omitted
    return orjson.dumps(head).decode()


def _headers(pairs: list) -> dict[str, str]:
    """Header pairs as a JSON object; repeated names joined with ", " (as RFC 9110 allows)."""
    result: dict[str, str] = {}
    for name, value in pairs:
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


def as_api(request: str | None, response: str | None, status_code: int | None, excerpt: str | None
           ) -> tuple[dict | None, dict | None]:
    """``request`` and ``response`` of an attempt as the REST API and exports give them (None
    for attempts recorded before they were kept; ``response`` also None when nothing answered)."""
    sent = None
    if request:
        data: Mapping[str, Any] = json.loads(request)
        sent = {"method": data["method"], "url": data["url"], "headers": _headers(data["headers"])}
    answered = None
    if response:
        data = json.loads(response)
        answered = {"status": data["status"], "reason": data["reason"], "headers": _headers(data["headers"]),
                    "headersOmitted": data.get("omitted", 0), "bodyExcerpt": excerpt or ""}
    elif status_code is not None:
        answered = {"status": status_code, "reason": "", "headers": {}, "headersOmitted": 0,
                    "bodyExcerpt": excerpt or ""}
    return sent, answered
