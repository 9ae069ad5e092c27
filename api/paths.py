"""Path parameters: record ids in paths (`/v1/shops/{shop_id}`) are whole numbers.

The router hands every path parameter over as text; `path_id` turns one into the id a
core service takes, and answers anything else with a 422 naming the parameter (never a
500, never a lookup of something that cannot exist).
"""

from __future__ import annotations

from api.contract import Call
from core.errors import ValidationError

#: Record ids are the database's INTEGER (32-bit on PostgreSQL): anything larger cannot
#: exist, and would make PostgreSQL refuse the query rather than find nothing.
MAX_ID = 2**31 - 1


def path_id(call: Call, name: str) -> int:
    """The path parameter `name` as a positive record id."""
    text = str(call.path.get(name, ""))
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= MAX_ID:
        raise ValidationError(f"{name}: expected a record id (a positive whole number)", field=name)
    return int(text)


#: Text a client sends that core stores or looks up: PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"
