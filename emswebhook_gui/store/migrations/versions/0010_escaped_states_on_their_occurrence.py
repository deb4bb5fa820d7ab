"""States whose text holds a ``\\u`` escape are kept on their occurrence even when bodies carry
them (``publishing._escaped``), so a ``--where`` scan looks for escapes in the occurrence's
columns only (``state_search``). This copies such states of older notifications back from a
body onto their occurrence; nothing else changes. Only rows whose body holds ``\\u`` at all are
read, so on a store without escaped states it is one pass of the database's substring search.

Revision ID: 0010
Revises: 0009
"""

import json

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ESCAPE = "\\u"


def upgrade() -> None:
    connection = op.get_bind()
    find = "instr" if connection.dialect.name == "sqlite" else "strpos"
    # in keyset batches, so a store with many escaped states is never read into memory at once
    batch = sa.text(
        "SELECT n.seq, o.id, o.current_state IS NULL, o.previous_state IS NULL, p.payload "
        "FROM notifications n JOIN occurrences o ON o.id = n.occurrence_id "
        "JOIN notification_payloads p ON p.event_id = n.event_id "
        f"WHERE n.seq > :after AND (o.current_state IS NULL OR o.previous_state IS NULL) "
        f"AND {find}(p.payload, :escape) > 0 ORDER BY n.seq LIMIT 500")
    after = 0
    while rows := connection.execute(batch, {"after": after, "escape": ESCAPE}).all():
        after = rows[-1][0]
        restored: dict[str, dict[str, str]] = {}
        for _seq, occurrence_id, current_missing, previous_missing, payload in rows:
            found = restored.setdefault(occurrence_id, {})
            for column, state in _escaped_states(payload, current_missing, previous_missing):
                found.setdefault(column, state)
        for occurrence_id, columns in restored.items():
            if columns:  # an occurrence done here is no longer NULL there, so later batches skip it
                assignments = ", ".join(f"{column} = :{column}" for column in columns)
                connection.execute(sa.text(f"UPDATE occurrences SET {assignments} WHERE id = :id"),
                                   {**columns, "id": occurrence_id})


def _escaped_states(payload: str, current_missing: bool, previous_missing: bool):
    """(column, state) for each state of the body that its occurrence lacks and that holds an escape."""
    try:
        body = json.loads(payload)
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    for column, key, missing in (("current_state", "currentState", current_missing),
                                 ("previous_state", "previousState", previous_missing)):
        state = body.get(key)
        if missing and isinstance(state, str) and ESCAPE in state:
            yield column, state


def downgrade() -> None:
    pass  # the copies are harmless to an older version, which reads the body when they are absent
