"""How a resource's fields are declared: once, with everything each adapter needs.

A :class:`Field` holds an attribute's contract name, JSON type, length limit, whether a new
resource must have it, a line of help, an example, its check and its command-line flag.
:class:`Fields` derives from them what used to be written three times: the refusal of unknown
attributes and the walk of checks (the service), the request schemas (``api/openapi.py``) and
the command-line options with their help (``cli/``).

Hand-made rather than pydantic or marshmallow: the service's messages are part of the contract
(tests, the GUI and scripts read them word for word) and a check may read the fields checked
before it (an occurrence's activity belongs to its event); a library would word the messages its
own way, and publishing, the hot path, would pay for its generality.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ValidationError
from .checks import Collector, refuse_unknown_fields

Schema = dict[str, Any]
Check = Callable[[Any, Collector, "Field", dict], Any]
"""``check(value, errors, field, clean)``: the cleaned value (``None`` after reporting a problem);
``clean`` holds the fields declared before, already cleaned."""


@dataclass(frozen=True)
class Flag:
    """How the command line spells a field, e.g. ``--url`` for ``endpointUrl``."""

    option: str
    help: str | None = None
    """Only where the shell says it differently from the field's help (``yes|no``, ``''``)."""
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    """Turns the typed text into the value (may raise ``ValidationError``)."""
    repeat: bool = False
    """Repeatable (``--activity A --activity B``): the field is a list."""
    stdin: bool = False
    """A secret: the option only says "read it from standard input" (argv shows in ``ps``)."""
    choices: tuple[str, ...] | None = None
    """argparse refuses anything else (for a short list; an event name is left to the service,
    whose refusal suggests the name meant)."""

    @property
    def dest(self) -> str:
        return self.option.removeprefix("--").replace("-", "_")


@dataclass(frozen=True)
class Field:
    name: str
    type: str | tuple[str, ...]
    help: str
    """For people: the OpenAPI description and the CLI help; ``{limit}`` is replaced by the limit."""
    check: Check | None
    """``None``: the caller checks it (against the database, e.g. that a profile exists)."""
    example: Any = None
    limit: int | None = None
    """At most this many characters (the service's message names it)."""
    required: bool = False
    """A new resource must have it (the schema's ``required``, the CLI's required options)."""
    nullable: bool = False
    trimmed: bool = False
    """The limit counts the text once trimmed, which JSON Schema cannot say: no ``maxLength``."""
    schema_extra: dict = field(default_factory=dict)
    """More of the JSON schema (``enum`` may be a callable, read when the document is built)."""
    flag: Flag | None = None

    def __post_init__(self) -> None:
        if "{limit}" in self.help:
            object.__setattr__(self, "help", self.help.format(limit=self.limit))

    def schema(self) -> Schema:
        kinds = [self.type] if isinstance(self.type, str) else list(self.type)
        if self.nullable:
            kinds.append("null")
        schema: Schema = {"type": kinds[0] if len(kinds) == 1 else kinds}
        if "string" in kinds:
            if self.required and "enum" not in self.schema_extra:
                schema["minLength"] = 1
            if self.limit is not None and not self.trimmed:
                schema["maxLength"] = self.limit
        schema.update({key: value() if callable(value) else value for key, value in self.schema_extra.items()})
        schema["description"] = self.help
        if self.example is not None:
            schema["examples"] = [self.example]
        return schema


class Fields:
    """A resource's fields, in the contract's order (the order the unknown-field message lists)."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        self.names = tuple(f.name for f in fields)
        self._by_name = {f.name: f for f in fields}

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def refuse_unknown(self, data: dict, errors: Collector) -> None:
        refuse_unknown_fields(data, self.names, errors)

    def check(self, values: dict, errors: Collector) -> dict:
        """Every field's check once, in declaration order; the cleaned values by name."""
        clean: dict[str, Any] = {}
        get = values.get
        for f in self.fields:
            if f.check is not None:
                clean[f.name] = f.check(get(f.name), errors, f, clean)
        return clean

    def schema(self, *, required: bool = True, **extra: Any) -> Schema:
        """The closed request schema; ``required=False`` for a PATCH (only what changes)."""
        schema: Schema = {"type": "object", "properties": {f.name: f.schema() for f in self.fields},
                          "additionalProperties": False, **extra}
        names = [f.name for f in self.fields if f.required]
        if required and names:
            schema["required"] = names
        return schema

    def add_arguments(self, parser: argparse.ArgumentParser, names: tuple[str, ...], *, creating: bool) -> None:
        """The options of ``names`` (in that order: the help lists them so)."""
        for name in names:
            f = self._by_name[name]
            flag = f.flag
            options: dict[str, Any] = {"help": flag.help or f.help}
            if flag.metavar:
                options["metavar"] = flag.metavar
            if flag.stdin:
                options["action"] = "store_true"
            elif flag.repeat:
                options.update(action="append", default=[])
            elif creating and f.required:
                options["required"] = True
            if flag.parse is not None:
                options["type"] = _argument_type(flag.parse)
            if flag.choices:
                options["choices"] = list(flag.choices)
            parser.add_argument(flag.option, **options)

    def from_args(self, args: argparse.Namespace, names: tuple[str, ...]) -> dict:
        """The fields of ``names`` the user gave (so an update changes nothing else)."""
        data = {}
        for name in names:
            flag = self._by_name[name].flag
            if flag.stdin:
                continue
            value = getattr(args, flag.dest, None)
            if value is not None and value != []:
                data[name] = value
        return data


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """argparse's spelling of a refusal: its usage line and exit code 2, with the rule's words."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(exc.errors[0].message) from None

    return convert
