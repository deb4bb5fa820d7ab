"""Statements run many times a second, executed on the driver's cursor (publish, claim, record).

Why: SQLAlchemy Core spends 50-100 µs on each statement it executes (cache key, execution
context, parameter processing, result set-up) and several µs on each row's parameters. On the two
hot paths (publishing, where every event of the licensing system passes, and recording delivery
outcomes) that overhead was larger than SQLite's own work, and it ran on the database thread
while the event loop waited for the GIL. Here the SQL is still written by SQLAlchemy (compiled
once per dialect from the same table metadata) and every value still passes through its
column type's own bind processor, so what lands in the database is what Core would have stored;
only the per-call machinery is skipped.

Limits, on purpose: no expanding ``IN`` parameters, and ``fetch`` / ``insert_returning`` hand
back the driver's rows unconverted (plain integers and text only; use Core for anything else).
Statements may differ by dialect (``FOR UPDATE SKIP LOCKED``): build one ``Prepared`` for each.
Statements over a list of keys (``IN``) are written as text for :class:`RawCursor`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["Prepared", "RawCursor", "prepared_insert"]


_UNSEEN = object()


# Rows per statement of ``insert_returning`` on SQLite: within the 999 variables of old SQLite
# builds for the widest table, and few enough distinct statements for the driver's cache.
_ROWS_PER_STATEMENT = 32


class _Compiled:
    __slots__ = ("sql", "keys", "fixed", "converted", "positional")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = dialect.positional
        self.keys: tuple[str, ...] = tuple(compiled.positiontup) if self.positional else tuple(compiled.binds)
        binds = compiled.binds
        # literals of the statement (``status == 'IN_PROGRESS'``) carry their own values
        self.fixed = {key: binds[key].effective_value for key in self.keys if not binds[key].required}
        processors = {key: binds[key].type.dialect_impl(dialect).bind_processor(dialect) for key in self.keys}
        # only the columns whose type converts values (datetimes, JSON, ...): most are plain
        self.converted: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (index, processors[key]) for index, key in enumerate(self.keys) if processors[key] is not None)

    def parameters(self, rows: Iterable[Mapping[str, Any]]) -> list:
        """Driver parameters, row by row. A batch's rows share their timestamps (the same object),
        so each converter remembers its last input: converting a datetime costs more than a row."""
        keys, fixed, converted, positional = self.keys, self.fixed, self.converted, self.positional
        last = [[_UNSEEN, None] for _ in converted]
        result = []
        for row in rows:
            values = [fixed[key] if key in fixed else row[key] for key in keys]
            for memo, (index, process) in zip(last, converted):
                value = values[index]
                if value is not memo[0]:
                    memo[0], memo[1] = value, process(value)
                values[index] = memo[1]
            result.append(tuple(values) if positional else dict(zip(keys, values)))
        return result


class Prepared:
    """One statement, compiled once per dialect, run with ``executemany`` on the raw cursor.

    Parameters are given by bind name (for an INSERT built by :func:`prepared_insert`, the column
    names); every ``bindparam`` without a value must be present in each row.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        compiled = self._by_dialect.get(key)
        if compiled is None:
            compiled = self._by_dialect[key] = _Compiled(self._statement, dialect)
        return compiled

    def execute(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
        """Run the statement once per row in the connection's transaction; returns the row count."""
        compiled = self._compiled(connection.dialect)
        parameters = compiled.parameters(rows)
        if not parameters:
            return 0
        cursor = connection.connection.cursor()
        try:
            if len(parameters) == 1:
                cursor.execute(compiled.sql, parameters[0])
            else:
                cursor.executemany(compiled.sql, parameters)
            return cursor.rowcount
        finally:
            cursor.close()

    def insert_returning(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[tuple]:
        """Run an ``INSERT ... RETURNING`` for every row; returns the RETURNING rows, in no
        particular order (return a key to match them up).

        ``executemany`` hands back no rows on SQLite, and a statement per row costs a call into
        the driver each, so on SQLite the rows go in as one multi-row VALUES statement per
        ``_ROWS_PER_STATEMENT``; psycopg returns each row's result from one pipelined
        ``executemany``."""
        compiled = self._compiled(connection.dialect)
        parameters = compiled.parameters(rows)
        if not parameters:
            return []
        cursor = connection.connection.cursor()
        try:
            if not compiled.positional:  # psycopg 3
                cursor.executemany(compiled.sql, parameters, returning=True)
                returned = list(cursor.fetchall())
                while cursor.nextset():
                    returned.extend(cursor.fetchall())
                return returned
            head, values, tail = compiled.sql.partition(" VALUES ")
            group, returning, tail = tail.partition(" RETURNING ")
            returned = []
            for start in range(0, len(parameters), _ROWS_PER_STATEMENT):
                chunk = parameters[start:start + _ROWS_PER_STATEMENT]
                cursor.execute(f"{head}{values}{', '.join([group] * len(chunk))}{returning}{tail}",
                               [value for row in chunk for value in row])
                returned.extend(cursor.fetchall())
            return returned
        finally:
            cursor.close()

    def fetch(self, connection: Connection, row: Mapping[str, Any]) -> list[tuple]:
        """Run the statement once and return its rows as the driver gives them: for results of
        plain columns (integers, text), which need no conversion."""
        compiled = self._compiled(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters([row])[0])
            return cursor.fetchall()
        finally:
            cursor.close()


def prepared_insert(table: Table, columns: Sequence[str], returning: Sequence[str] = ()) -> Prepared:
    """``INSERT INTO table (columns...) VALUES (...) [RETURNING ...]``, with a bind per column
    named after it."""
    statement = insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    return Prepared(statement)


class RawCursor:
    """Statements written as text, with ``?`` for parameters, on the driver's cursor of
    ``connection`` (SQLite or psycopg): for a statement over a list of keys, which ``Prepared``
    cannot hold, run where SQLAlchemy's per-statement Python (cache keys, parameter processing,
    about a millisecond on a busy 2-core machine) would cost more than the database's own work:
    a purge batch, the fencing select of a delivery record. Values are plain integers and text;
    a timestamp goes through :meth:`stamp`, as ``UTCDateTime`` stores it."""

    def __init__(self, connection: Connection) -> None:
        self.sqlite = connection.dialect.name == "sqlite"
        self.cursor = connection.connection.cursor()

    def member(self, column: str, values) -> tuple[str, list]:
        """``column IN (...)`` (SQLite) or ``column = ANY(...)`` (PostgreSQL), and its parameters."""
        values = list(values)
        if self.sqlite:
            return f"{column} IN ({','.join('?' * len(values))})", values
        return f"{column} = ANY(%s)", [values]

    def run(self, sql: str, params: list | tuple = ()) -> list:
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        self.cursor.execute(sql, tuple(params))
        return self.cursor.fetchall() if self.cursor.description else []

    def stamp(self, moment: datetime):
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive

    def close(self) -> None:
        self.cursor.close()
