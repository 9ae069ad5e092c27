"""`ImportFormat`: reads orders from a file (a platform back-office export, a CSV a
merchant filled in) for channels without an API, or for back-filling.

Parsing is pure: no database, no network. Core decides what to store; the format only
says, row by row, which order each row is and what is wrong with it, so the user can fix
their file and import again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, BinaryIO, ClassVar

from core.contracts.base import Contract
from core.contracts.types import PlatformOrder, required_text
from core.errors import ValidationError

SEVERITIES = ("error", "warning")
#: Tag on an order whose receiver is known only masked (`张**`, `138****5678`): our own
#: labels cannot be printed for it. Formats may set it; core's import adds it otherwise.
RECEIVER_MASKED_TAG = "receiver_masked"


@dataclass(frozen=True)
class ImportIssue:
    """A problem in one row: `row` counts file lines as a spreadsheet shows them (the
    header is row 1), `column` is the header text. Errors stop the row; warnings do not."""

    row: int
    message: str
    column: str = ""
    severity: str = "error"

    def __post_init__(self) -> None:
        required_text(self.message, "message")
        # Core's parsers name the field in their messages ("运费(元): 'x' is not an amount");
        # the report shows the column beside the message already, so say it once.
        if (
            self.column
            and self.message.startswith(self.column + ": ")
            and self.message[len(self.column) + 2 :].strip()
        ):
            object.__setattr__(self, "message", self.message[len(self.column) + 2 :])
        if self.severity not in SEVERITIES:
            raise ValidationError(
                f"issue severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}"
            )


@dataclass(frozen=True)
class ImportRow:
    """One order read from the file (`row` is its first row), or only its issues when it
    could not be read. A row without an order always carries at least one error."""

    row: int
    order: PlatformOrder | None
    issues: tuple[ImportIssue, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "issues", tuple(self.issues))
        if self.order is None and not any(i.severity == "error" for i in self.issues):
            raise ValidationError(f"row {self.row}: no order and no error saying why")

    @property
    def ok(self) -> bool:
        """True when the row gave an order and no error."""
        return self.order is not None and all(i.severity != "error" for i in self.issues)


class ImportFormat(Contract, ABC):
    """A file format for order import. `name` is what users pick ("pdd-export", "csv")."""

    kind: ClassVar[str] = "import_format"
    #: File name endings this format usually reads, lower case (".csv", ".xlsx").
    FILE_EXTENSIONS: ClassVar[tuple[str, ...]] = ()
    SUPPORTS_TEMPLATE: ClassVar[bool] = False
    OPTIONAL_OPERATIONS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"SUPPORTS_TEMPLATE": "blank_template"}
    )

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        bad = [e for e in cls.FILE_EXTENSIONS if not (e.startswith(".") and e == e.lower())]
        return [f"FILE_EXTENSIONS entries must look like '.csv', not {bad!r}"] if bad else []

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """Flags plus the file name endings this format reads."""
        return {**super().capabilities(), "file_extensions": list(cls.FILE_EXTENSIONS)}

    @abstractmethod
    def sniff(self, filename: str, head: bytes) -> bool:
        """Whether this format reads the file, judged from its name and first bytes (up to
        64 KiB); cheap and without side effects, so core can ask every format."""

    @abstractmethod
    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ImportRow]:
        """Every order in the file, in file order, one `ImportRow` each. A file this format
        cannot read at all (wrong kind, missing required column) raises `ValidationError`
        naming the column; anything wrong in a row goes into that row's issues. Money is
        converted to fen from the text (Decimal), never through float."""

    def blank_template(self) -> bytes:
        """A file with only the header row, for merchants to fill in. Optional:
        `SUPPORTS_TEMPLATE`."""
        self.not_supported("blank import templates")
