"""Path parameters: record ids in paths (`/v1/shops/{shop_id}`) are whole numbers.

The router hands every path parameter over as text; `path_id` turns one into the id a
core service takes, and answers anything else with a 422 naming the parameter (never a
500, never a lookup of something that cannot exist).
"""

from __future__ import annotations

from api.contract import Call
from core.errors import ValidationError

#: Ids are 64-bit integers in the database; 18 digits always fit.
MAX_DIGITS = 18


def path_id(call: Call, name: str) -> int:
    """The path parameter `name` as a positive record id."""
    text = str(call.path.get(name, ""))
    if not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS or int(text) < 1:
        raise ValidationError(f"{name}: expected a record id (a positive whole number)", field=name)
    return int(text)


#: The largest id a client may send in a body or query (PostgreSQL's bigint).
MAX_ID = 2**63 - 1
#: Text a client sends that core stores or looks up: PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"
