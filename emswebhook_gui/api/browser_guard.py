"""What keeps a web page in the user's browser from using the local REST API.

A page on any site can make the browser send requests to ``http://127.0.0.1:8477``. Two things
stop it from achieving anything:

- **Request bodies must be JSON** (``Content-Type: application/json``, 415 otherwise). A page can
  send a form or ``text/plain`` without the browser asking the server first; a JSON body needs a
  CORS preflight, which this API never answers with permission. So no page can get a body in.
- **The Host header must name this server** (421 otherwise). With DNS rebinding, a page's own
  name (``evil.example``) is made to resolve to 127.0.0.1, and the browser then treats the API as
  the page's own origin and lets it read answers, including those of the open routes (health,
  the OpenAPI document). The browser still sends ``Host: evil.example``; only names of this
  machine are accepted: ``localhost`` (and ``*.localhost``), loopback addresses, the address the
  API was told to listen on (``--api-host``), and for a wildcard bind (``0.0.0.0``, ``::``) any
  IP address and this host's own names. A rebinding page always has a DNS name of its own, so IP
  literals are never its Host. The port must be the API's. A request without a Host header
  (HTTP/1.0 tools) is let through: browsers always send one.

421 Misdirected Request was chosen over 400: the request itself is well-formed, it was just sent
to a server that does not answer for that name.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp import web

JSON_MEDIA_TYPE = "application/json"
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})


class HostCheck:
    """The names this API answers to; the port is set once the socket is bound (port 0)."""

    def __init__(self, host: str, port: int | None = None) -> None:
        self.bind_host = host.strip("[]").lower()
        self._port = port
        self._accepted: set[str] = set()
        self._names = {"localhost", self.bind_host}
        self._wildcard = self.bind_host in _WILDCARDS
        if self._wildcard:
            for name in (socket.gethostname(), socket.getfqdn()):
                if name:
                    self._names.add(name.lower())

    @property
    def port(self) -> int | None:
        return self._port

    @port.setter
    def port(self, value: int | None) -> None:
        self._port = value
        self._accepted.clear()

    def accepts(self, header: str | None) -> bool:
        if header is None or header in self._accepted:
            return True
        if self._decide(header):
            if len(self._accepted) < 64:  # the few spellings clients use; a request costs a set lookup
                self._accepted.add(header)
            return True
        return False

    def _decide(self, header: str) -> bool:
        name, port = _split_host(header.strip())
        if name is None or port != (self.port if self.port is not None else port):
            return False
        name = name.lower().rstrip(".")
        if name in self._names or name.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        if address.is_loopback or self._wildcard:
            return True
        try:
            return address == ipaddress.ip_address(self.bind_host)
        except ValueError:
            return False


def _split_host(header: str) -> tuple[str | None, int | None]:
    """``name[:port]`` or ``[v6][:port]`` as (name, port); port 80 when absent (plain HTTP)."""
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None, None
        name, rest = header[1:end], header[end + 1:]
        if rest and not rest.startswith(":"):
            return None, None
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = header.partition(":")
        if ":" in port_text:  # an unbracketed IPv6 literal is not a valid Host
            return None, None
    if not name:
        return None, None
    if not port_text:
        return name, 80
    if not port_text.isdigit() or len(port_text) > 5:
        return None, None
    return name, int(port_text)


def json_content_type(request: web.Request) -> bool:
    """True when the request has no body, or a body declared as JSON (UTF-8 if a charset is named)."""
    if not request.body_exists:
        return True
    if request.content_type != JSON_MEDIA_TYPE:
        return False
    charset = request.charset
    return charset is None or charset.lower() in ("utf-8", "utf8")
