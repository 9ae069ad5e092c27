"""Small input types and helpers the resource modules share."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.paths import RecordId

Id = RecordId
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=500)]
