"""What an order import did (or, on a dry run, would do), row by row.

Kept apart from `core.importing.service` so front ends can render a report without the service.
Issues are capped: a 100,000-row export with one masked receiver per row would otherwise
carry 100,000 identical warnings; the counts stay exact and `issues_left_off` says how many
were not kept. Errors are kept before warnings, so a long report never hides an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core.contracts import ImportIssue

MAX_ISSUES = 1000
MAX_MESSAGE = 300  # characters of one issue's message


@dataclass
class ImportReport:
    """Counts are of data rows (the header is row 1, blank rows are not counted)."""

    filename: str
    format: str
    shop_id: int
    dry_run: bool = False
    partial: bool = False
    rows: int = 0  # data rows read
    valid: int = 0  # rows without errors, each a distinct order
    invalid: int = 0  # rows with at least one error
    duplicates: int = 0  # rows repeating an earlier row's order exactly
    masked: int = 0  # valid orders whose receiver is only known masked
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    corrected: int = 0  # of `updated`: a copy of the same time, corrected since an import
    not_applied: int = 0  # of `unchanged`: differs, but the stored copy is newer or the platform's
    errors: int = 0
    warnings: int = 0
    imported: bool = False  # True when the import was committed
    issues: list[ImportIssue] = field(default_factory=list)
    issues_left_off: int = 0

    def add_issues(self, issues: list[ImportIssue]) -> None:
        for issue in issues:
            if len(issue.message) > MAX_MESSAGE:  # a format quoted a huge cell back at us
                issue = replace(issue, message=issue.message[: MAX_MESSAGE - 1] + "…")
            if issue.severity == "error":
                self.errors += 1
            else:
                self.warnings += 1
            if len(self.issues) < MAX_ISSUES:
                self.issues.append(issue)
                continue
            self.issues_left_off += 1
            if issue.severity == "error":  # make room: drop the last kept warning
                index = next(
                    (
                        i
                        for i in range(len(self.issues) - 1, -1, -1)
                        if self.issues[i].severity == "warning"
                    ),
                    None,
                )
                if index is not None:
                    del self.issues[index]
                    self.issues.append(issue)

    def add_warning(self, row: int, message: str, column: str = "") -> None:
        """One warning, as `add_issues` would count it — built only when it is kept: a
        100,000-row export of masked receivers warns on every row, and past the cap a
        warning is only a count."""
        self.warnings += 1
        if len(self.issues) >= MAX_ISSUES:
            self.issues_left_off += 1
            return
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        self.issues.append(ImportIssue(row, message, column, "warning"))

    def merge_reading(self, other: ImportReport) -> None:
        """Take over what another report counted while reading the file (a reader
        process's): rows, validity, duplicates, masked receivers, issues — keeping the
        warnings storing added here (corrections, copies not applied)."""
        stored_issues, stored_warnings, stored_left_off = (
            self.issues,
            self.warnings,
            self.issues_left_off,
        )
        for name in READING:
            setattr(self, name, getattr(other, name))
        self.issues = list(other.issues)
        self.add_issues(stored_issues)
        self.warnings += stored_warnings - len(stored_issues)  # those left off, still counted
        self.issues_left_off += stored_left_off

    @property
    def outcome(self) -> str:
        """dry_run | imported | rejected (errors, nothing stored) | empty (no rows)."""
        if self.dry_run:
            return "dry_run"
        if self.rows == 0:
            return "empty"
        return "imported" if self.imported else "rejected"

    def summary(self) -> str:
        """One line of counts, no buyer data (what the log and the audit detail say)."""
        verb = "would be " if self.dry_run else ""
        parts = [
            f"{self.rows} rows",
            f"{self.new} {verb}new",
            f"{self.updated} {verb}updated",
            f"{self.unchanged} unchanged",
        ]
        if self.corrected:
            parts.append(f"{self.corrected} {verb}corrected")
        if self.not_applied:
            parts.append(f"{self.not_applied} different but not applied")
        if self.invalid:
            parts.append(f"{self.invalid} with errors")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicates")
        if self.masked:
            parts.append(f"{self.masked} masked receivers")
        return f"{self.outcome}: " + ", ".join(parts)

    def audit_view(self) -> dict[str, Any]:
        """Counts and names only: the audit trail never holds buyer data."""
        return {
            "file": self.filename,
            "format": self.format,
            "shop_id": self.shop_id,
            "outcome": self.outcome,
            "partial": self.partial,
            **{k: getattr(self, k) for k in COUNTS},
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: counts, outcome and the kept issues."""
        return {
            **self.audit_view(),
            "dry_run": self.dry_run,
            "imported": self.imported,
            "issues": [
                {"row": i.row, "column": i.column, "severity": i.severity, "message": i.message}
                for i in sorted(self.issues, key=lambda i: i.row)
            ],
            "issues_left_off": self.issues_left_off,
        }


COUNTS = (
    "rows",
    "valid",
    "invalid",
    "duplicates",
    "masked",
    "new",
    "updated",
    "unchanged",
    "corrected",
    "not_applied",
    "errors",
    "warnings",
)
#: What reading and checking the rows counts (storing counts new, updated, unchanged,
#: corrected, not applied).
READING = (
    "rows",
    "valid",
    "invalid",
    "duplicates",
    "masked",
    "errors",
    "warnings",
    "issues_left_off",
)
