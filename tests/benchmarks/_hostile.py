"""A hostile webhook endpoint in its own process for benchmarks: every request is answered with a
status line and then header lines without end, until the client hangs up.

Runs as ``python _hostile.py PORT_FILE``; writes its port to PORT_FILE once listening. Its own
process keeps its CPU and memory off the measured engine's figures.
"""

import asyncio
import sys
from pathlib import Path

LINE = b"X-Flood: " + b"f" * 1000 + b"\r\n"


async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        while True:
            writer.write(LINE * 8)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port_file: str) -> None:
    server = await asyncio.start_server(flood, "127.0.0.1", 0, backlog=1024)
    Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
