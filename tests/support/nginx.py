"""Debian's nginx as a webhook receiver: a server nobody here wrote, as the subscribers' own are.

Started in the foreground (``daemon off``) from a configuration written under the test's
temporary directory: TLS with a certificate of the test's own CA, an access log that records what
a receiver checks (method, path, Content-Type, whether an Authorization header came), and a short
``keepalive_timeout`` so a kept-alive connection is really closed by the server between two
deliveries. ``/hook`` answers 200, ``/fail`` 500, as ``return`` directives (nginx reads and
discards the body).

Skipped with one line when ``nginx`` is not installed; ``.ci/run`` installs ``nginx-light``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.receiver import closed_port
from tests.support.tls import Leaf

LOG_FORMAT = "$request_method $uri $content_type auth=$http_authorization length=$content_length"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light); .ci/run installs it")
    return found


class Nginx:
    def __init__(self, directory: Path, leaf: Leaf, keepalive_seconds: int = 1) -> None:
        self.directory = directory
        self.port = closed_port()  # free until nginx binds it
        self.access_log = directory / "access.log"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (directory / name).mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers would otherwise drop to nobody
        (directory / "nginx.conf").write_text(f"""{user}worker_processes 1;
error_log {directory}/error.log warn;
pid {directory}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    log_format hooks '{LOG_FORMAT}';
    access_log {self.access_log} hooks;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    keepalive_timeout {keepalive_seconds}s;
    server {{
        listen 127.0.0.1:{self.port} ssl;
        server_name localhost;
        ssl_certificate {leaf.cert};
        ssl_certificate_key {leaf.key};
        location /hook {{ return 200 "ok\\n"; }}
        location /fail {{ return 500 "no\\n"; }}
    }}
}}
""")
        self.process: subprocess.Popen | None = None

    def url(self, path: str = "/hook") -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "Nginx":
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(self.directory), "-c", str(self.directory / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with self.process.stderr:
                    raise RuntimeError(f"nginx did not start: {self.process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen within 10 s")

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process.stderr.close()

    def requests(self) -> list[str]:
        """The access log's lines: one per request nginx answered."""
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []
