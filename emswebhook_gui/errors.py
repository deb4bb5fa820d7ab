"""Errors the service raises on purpose: values the user can act on.

Every adapter maps them the same way: CLI exit code 2 with the message on stderr, REST problem+json
(400/404/409), GUI messages next to the field named in ``FieldError.field``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ServiceError(Exception):
    """A request the rules refuse. ``str()`` is a complete sentence for people."""

    status = 400
    title = "Invalid request"


class ValidationError(ServiceError):
    """One or more fields are wrong; nothing was changed."""

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    def for_field(self, field: str) -> str | None:
        return next((e.message for e in self.errors if e.field == field), None)


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    """The request is well-formed but the current state forbids it (profile in use, IN_PROGRESS)."""

    status = 409
    title = "Conflict"
