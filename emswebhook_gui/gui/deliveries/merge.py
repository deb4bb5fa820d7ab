"""Merging a refreshed range into the rows shown, so the view keeps its selection and scroll
position (row inserts and removes instead of a reset)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex


def merge_order(old: list[str], new: list[str], keep: set[str]) -> list[str] | None:
    """The rows after a refresh: ``new`` (the re-queried range, in order) plus the rows of ``old``
    in ``keep`` (pinned, or below the re-queried range), each kept in its old place.

    Rows in both lists are in the same relative order (the service sorts by an immutable
    sequence number), so a merge suffices; None when they are not (then the caller resets).
    A row that is only in ``new`` goes right after the row of ``new`` before it.
    """
    new_set = set(new)
    kept = [event_id for event_id in old if event_id in new_set or event_id in keep]
    kept_set = set(kept)
    result: list[str] = []
    position = 0
    for event_id in new:
        if event_id not in kept_set:
            result.append(event_id)
            continue
        while position < len(kept) and kept[position] != event_id:
            if kept[position] in new_set:
                return None  # a row of both lists out of order
            result.append(kept[position])
            position += 1
        if position == len(kept):
            return None
        result.append(event_id)
        position += 1
    result.extend(kept[position:])
    return result


def apply_order(model: QAbstractItemModel, ids: list[str], order: list[str]) -> None:
    """Turn ``ids``, the rows ``model`` shows, into ``order`` with row removes and inserts (never a
    reset), telling the view about each run of rows."""
    target = set(order)
    row = len(ids) - 1
    while row >= 0:  # remove runs from the bottom up, so earlier row numbers stay valid
        if ids[row] in target:
            row -= 1
            continue
        last = row
        while row >= 0 and ids[row] not in target:
            row -= 1
        model.beginRemoveRows(QModelIndex(), row + 1, last)
        del ids[row + 1: last + 1]
        model.endRemoveRows()
    present = set(ids)
    position = 0
    while position < len(order):
        if order[position] in present:
            position += 1
            continue
        end = position
        while end < len(order) and order[end] not in present:
            end += 1
        model.beginInsertRows(QModelIndex(), position, end - 1)
        ids[position:position] = order[position:end]
        model.endInsertRows()
        position = end
