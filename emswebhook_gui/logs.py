"""Log files: the desktop app, ``emswebhook serve`` and the other CLI commands write to one
rotating file in ``platformdirs.user_log_dir("emswebhook-gui")`` (``~/.local/state/emswebhook-gui/log``
on Linux), so an operator finds every process's story in one place.

What is logged (at INFO unless said otherwise): delivery services starting and stopping, every
failed attempt (WARNING: eventId, webhook, reason, and when the next attempt is due or that the
notification is now FAILED), manual retries, mark-successful, purges, configuration changes
(property key and new value; properties never hold secrets, the keyring does), webhooks and
profiles created, changed and deleted (by name), alerts sent or failed, REST requests (method,
path, status; never a header). Successful attempts are DEBUG only: at the default level a busy
service does not write a line per delivery. Never a payload body, never a secret: the messages are
written not to hold them, and :class:`RedactionFilter` is the safety net for what a library might
put in an exception text (``Authorization`` values, ``whsec_`` secrets, ``password=...``, a URL's
``user:password@``).

One file for every process, not one per process: several processes append to it (``O_APPEND``
keeps lines whole), and whichever rotates it at :data:`MAX_BYTES` renames it; the others notice the
new inode at their next line and reopen (:class:`SharedRotatingFileHandler`), so nobody keeps
writing into a rotated file. At most :data:`BACKUPS` old files are kept: about 60 MB in all, for a
service left running for a year. ``serve --log-format json`` writes JSON lines to a file of its own
(:data:`JSON_FILE_NAME`), so a log shipper never meets a text line from a CLI command in it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "emswebhook-gui"
FILE_NAME = "emswebhook.log"
JSON_FILE_NAME = "emswebhook.json.log"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")

audit = logging.getLogger("emswebhook_gui.audit")
"""Changes people made (configuration, retries, mark-successful, purges, definitions)."""

_log = logging.getLogger(__name__)


def log_directory() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_file(fmt: str = "text") -> Path:
    return log_directory() / (JSON_FILE_NAME if fmt == "json" else FILE_NAME)


# -- redaction ------------------------------------------------------------------------------------

_REDACTIONS: tuple[tuple[re.Pattern, str], ...] = (
    # a header value after its name, whatever it looks like; elsewhere only token-shaped words
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:basic|bearer)\s+)[^\s\"',;]+"), r"\1[redacted]"),
    (re.compile(r"\b(Basic|Bearer)\s+(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"whsec_[A-Za-z0-9+/=_-]+"), "whsec_[redacted]"),
    (re.compile(r"(?i)\b(password|passwd|pwd|client_secret|clientsecret|access_token|refresh_token|api_?key)"
                r"(\"?\s*[=:]\s*\"?)([^\s&,;\"']+)"), r"\1\2[redacted]"),
    (re.compile(r"(://[^/\s:@]+:)[^/\s@]+@"), r"\1[redacted]@"),
)


def redact(text: str) -> str:
    """``text`` with anything shaped like a credential replaced by ``[redacted]``."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RedactionFilter(logging.Filter):
    """Redacts the rendered message, the exception text and string extras of every record a
    handler of ours writes. Attached to the handlers, so records of every library pass it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                record.__dict__[key] = redact(value)
        return True


# -- formats --------------------------------------------------------------------------------------


class TextFormatter(logging.Formatter):
    """``2026-12-02T15:45:27.123Z WARNING serve[4242] emswebhook_gui.delivery: ...`` (UTC)."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self, kind: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {kind}[%(process)d] %(name)s: %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, process kind and id, message, the record's
    extras (``eventId``, ``webhook``, ``reason`` ... on delivery lines), and the exception text.
    Written here rather than with a library: the fields are fixed and few."""

    converter = time.gmtime

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        entry: dict[str, Any] = {"time": stamp, "level": record.levelname, "logger": record.name,
                                 "process": self.kind, "pid": record.process, "message": record.getMessage()}
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


# -- the file -------------------------------------------------------------------------------------


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file that other processes append to and rotate too: before each line, reopen
    when the path no longer names the file we hold (another process rotated it)."""

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is not None:
            try:
                current = os.stat(self.baseFilename)
                held = os.fstat(self.stream.fileno())
                if (current.st_dev, current.st_ino) != (held.st_dev, held.st_ino):
                    self.stream.close()
                    self.stream = None  # reopened by emit
            except OSError:  # rotated away and not yet recreated: open a new one
                self.stream.close()
                self.stream = None
        super().emit(record)

    def doRollover(self) -> None:
        """Windows refuses to rename a file another process has open: keep writing to it, and
        rotate at a later line once it can."""
        try:
            super().doRollover()
        except OSError:
            if self.stream is None:
                self.stream = self._open()


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as logging's last resort does), so a
    replaced stderr (pytest's capture, a GUI without a console) is never written after closing."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr


_OURS = "_emswebhook_handler"


def setup(kind: str, *, level: str = "INFO", fmt: str = "text", stderr_level: str | None = "INFO",
          directory: Path | None = None) -> Path | None:
    """Send this process's logs to the shared file (in ``fmt``) and, from ``stderr_level`` up,
    as text to stderr. Returns the file's path, or None when the folder cannot be written (the
    process then logs to stderr only, and says so once). Calling it again replaces what an
    earlier call installed, and leaves other handlers alone (pytest's, say)."""
    level_number = logging.getLevelName(level.upper())
    if not isinstance(level_number, int):
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    if fmt not in FORMATS:
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OURS, False):
            root.removeHandler(handler)
            handler.close()
    redaction = RedactionFilter()
    path: Path | None = (directory or log_directory()) / (JSON_FILE_NAME if fmt == "json" else FILE_NAME)
    problem = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = SharedRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                 encoding="utf-8")
    except OSError as exc:
        problem, path = f"cannot write the log file in {path.parent} ({exc.strerror or exc})", None
    else:
        file_handler.setFormatter(JsonFormatter(kind) if fmt == "json" else TextFormatter(kind))
        file_handler.setLevel(level_number)
        _install(root, file_handler, redaction)
    if stderr_level is not None or problem:
        stream = StderrHandler()
        stream.setFormatter(TextFormatter(kind))
        stream.setLevel(max(level_number, logging.getLevelName((stderr_level or "INFO").upper())))
        _install(root, stream, redaction)
    root.setLevel(level_number)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # schema checks on every start
    if problem:
        _log.warning("%s; logging to stderr only", problem)
    return path


def setup_cli(args) -> Path | None:
    """``emswebhook``'s logging: ``serve`` logs from ``--log-level`` to the file (``--log-format``)
    and as text to stderr; other commands log INFO to the file (what they changed) and
    nothing to stderr, where their own worded messages go (a log line there would repeat them)."""
    if getattr(args, "command", None) == "serve":
        return setup("serve", level=args.log_level, fmt=args.log_format, stderr_level=args.log_level)
    return setup("cli", stderr_level=None)


def _install(root: logging.Logger, handler: logging.Handler, redaction: RedactionFilter) -> None:
    setattr(handler, _OURS, True)
    handler.addFilter(redaction)
    root.addHandler(handler)


# -- what people changed (called by the service) ----------------------------------------------------


def _scope(event_id: str | None, filters: dict | None) -> str:
    if event_id is not None:
        return f"eventId {event_id}"
    shown = {key: value for key, value in (filters or {}).items() if value not in (None, "", [])}
    return f"filters {json.dumps(shown, ensure_ascii=False, default=str)}" if shown else "every notification"


def property_changed(key: str, value: Any) -> None:
    audit.info("configuration: %s set to %s", key, json.dumps(value, ensure_ascii=False),
               extra={"property": key})


def definition_changed(kind: str, action: str, name: str, ident: str) -> None:
    """``kind`` 'webhook' or 'authentication profile'; ``action`` 'created', 'updated', 'deleted'."""
    audit.info("configuration: %s '%s' %s (%s)", kind, name, action, ident)


def notifications_retried(count: int, event_id: str | None, filters: dict | None) -> None:
    audit.info("retry: %d notification%s start a new round (%s)", count, "" if count == 1 else "s",
               _scope(event_id, filters))


def notifications_marked_successful(count: int, event_id: str | None, filters: dict | None, by: str) -> None:
    audit.info("mark successful: %d notification%s closed by %s (%s)", count, "" if count == 1 else "s",
               by, _scope(event_id, filters))


def notifications_purged(count: int, event_id: str | None, filters: dict | None) -> None:
    """For ``events purge`` and the retention clean-up: what was deleted, and by which rule."""
    audit.info("purge: %d notification%s deleted (%s)", count, "" if count == 1 else "s",
               _scope(event_id, filters))
