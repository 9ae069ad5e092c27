"""A column among a list of values bound as one parameter, on either backend.

`column IN (:v1, …, :v2000)` costs twice: SQLAlchemy renders and names every value on each
execution (≈ 1 ms per 2,000 values, measured in a sync window), and psycopg's prepared
statements get a generic plan that scans. One parameter avoids both: PostgreSQL binds an
array (`column = ANY(:values)`), SQLite a JSON array read by `json_each` (`column IN
(SELECT value FROM json_each(:values))`), and both still probe the column's index for each
value. `core.orders.store` and `core.auditing.batch` select orders this way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    TypeDecorator,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY


class JsonList(TypeDecorator[Sequence[Any]]):
    """A list bound as its JSON text (for SQLite's `json_each`)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Sequence[Any] | None, dialect: Any) -> str | None:
        return None if value is None else json.dumps(list(value), ensure_ascii=False)


def among(
    column: Any,
    dialect_name: str,
    *,
    key: str | None = None,
    values: Sequence[Any] | None = None,
) -> ColumnElement[bool]:
    """`column` among `values` (or among the list bound later as parameter `key`)."""
    if dialect_name == "postgresql":
        element = Integer() if isinstance(column.type, Integer) else String()
        return column == any_(bindparam(key, values, type_=ARRAY(element)))
    listed = func.json_each(bindparam(key, values, type_=JsonList()))
    return column.in_(select(literal_column("value")).select_from(listed))
