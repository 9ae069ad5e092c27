"""`Renderer`: template + data → the bytes of one document in one language (PDF, PNG,
TSPL, ZPL, ESC/POS, or a platform print-component payload).

Rendering is pure: no I/O, no clock, no database — the same request gives the same bytes,
which is what makes label snapshots testable and lets core pre-render the next label while
the printer is still busy with this one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from core.contracts.base import Contract
from core.contracts.types import frozen_mapping, language_problems, required_text
from core.errors import ValidationError


@dataclass(frozen=True)
class TemplateSpec:
    """A template as stored: its kind (label, packing_slip, pick_list, product_label),
    media size in millimetres and its versioned element list (dicts: type, position in mm,
    field or text, font …)."""

    name: str
    kind: str
    width_mm: float
    height_mm: float
    elements: tuple[Mapping[str, Any], ...] = ()
    version: int = 1

    def __post_init__(self) -> None:
        required_text(self.name, "name")
        if self.width_mm <= 0 or self.height_mm <= 0:
            raise ValidationError(
                f"template {self.name!r}: size must be positive, got "
                f"{self.width_mm}×{self.height_mm} mm",
                field="width_mm",
            )
        object.__setattr__(self, "elements", tuple(frozen_mapping(e) for e in self.elements))


@dataclass(frozen=True)
class RenderRequest:
    """Render `template` with `data` for a printer: its language, resolution in dots per
    inch, and the per-printer offset correction in millimetres (positive: right / down)."""

    template: TemplateSpec
    data: Mapping[str, Any]
    language: str
    dpi: int = 203
    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    copies: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", frozen_mapping(self.data))
        if self.dpi <= 0:
            raise ValidationError(f"dpi must be positive, got {self.dpi}", field="dpi")
        if self.copies < 1:
            raise ValidationError(f"copies must be at least 1, got {self.copies}", field="copies")


@dataclass(frozen=True)
class RenderedDocument:
    """Bytes ready for a `PrinterDriver` that accepts `language`."""

    language: str
    content: bytes = field(repr=False)
    pages: int = 1
    media_type: str = "application/octet-stream"


class Renderer(Contract, ABC):
    """Turns templates into printable bytes for the languages in `LANGUAGES`."""

    kind: ClassVar[str] = "renderer"
    #: Languages `render` produces; a request for any other raises `NotSupported`.
    LANGUAGES: ClassVar[frozenset[str]] = frozenset()
    SUPPORTS_BATCH: ClassVar[bool] = False
    OPTIONAL_OPERATIONS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"SUPPORTS_BATCH": "render_batch"}
    )

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """Flags plus the languages this renderer produces."""
        return {**super().capabilities(), "languages": sorted(cls.LANGUAGES)}

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        return language_problems(cls.LANGUAGES)

    @classmethod
    def accepts(cls, language: str) -> bool:
        """Whether `render` can produce `language`."""
        return language in cls.LANGUAGES

    @abstractmethod
    def render(self, request: RenderRequest) -> RenderedDocument:
        """One document for `request.language`; the same request always gives the same
        bytes. A missing data field raises `ValidationError` naming the field."""

    def render_batch(self, requests: Sequence[RenderRequest]) -> RenderedDocument:
        """Several labels as one document (a multi-page PDF, concatenated TSPL), all in one
        language, in order: one write per batch instead of one per label. Optional:
        `SUPPORTS_BATCH`."""
        self.not_supported("batch rendering")
