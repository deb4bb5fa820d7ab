"""A resolver answering from a table, for tests that need names (TLS host names, SNI, the URL
guard's view of DNS) without any DNS server."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver


class FakeResolver(AbstractResolver):
    """Answers from a table, as a DNS server under an attacker's control would.

    An entry is an address, or ``(address, port)`` to send that answer to another port (so one
    name can have a silent address and an answering one on loopback)."""

    def __init__(self, table: dict[str, list]) -> None:
        self.table = table
        self.closed = False
        self.asked: list[str] = []

    async def resolve(self, host, port=0, family=socket.AF_INET):
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"no such name: {host}")
        answers = []
        for entry in self.table[host]:
            address, answer_port = entry if isinstance(entry, tuple) else (entry, port)
            answers.append({
                "hostname": host,
                "host": address,
                "port": answer_port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            })
        return answers

    async def close(self) -> None:
        self.closed = True
