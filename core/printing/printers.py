"""The printer registry: printers an org prints on, each a driver plugin with its settings,
media, resolution, document language and calibration offsets.

Settings are validated by building the driver (and the renderer for its language) the way
a print job will, so a typo in a host name key or an unknown renderer option is refused
when the printer is added, not at the first label of a batch. Nothing is opened here
(`core.printing.printer_tools` has discovery and the test page).

`Printer.connection` holds the driver's settings; the key `render` inside it holds the
renderer's options (TSPL gap, density, bitmap polarity …) and is not passed to the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.printer import PrinterDriver
from core.contracts.renderer import Renderer, RenderRequest
from core.errors import ConfigurationError, Conflict, NotFound, NotSupported, ValidationError
from core.models import Printer, PrintJob, PrintJobItem

#: The language a print-component printer takes: the platform's own payload, no renderer.
COMPONENT_LANGUAGE = "pdd-print"
#: When a printer is added without a language: the first its driver accepts.
LANGUAGE_PREFERENCE = ("tspl", "zpl", "escpos", "pdf", "png", COMPONENT_LANGUAGE)
RENDER_KEY = "render"
MAX_OFFSET_MM = 20.0
DPI_RANGE = (100, 600)
MEDIA_RANGE_MM = (10.0, 600.0)


@dataclass(frozen=True)
class PrinterConfig:
    """A printer as services hand it around (a detached copy of the row)."""

    id: int
    org_id: int
    name: str
    driver: str
    settings: Mapping[str, Any]
    render: Mapping[str, Any]
    language: str
    dpi: int
    media_width_mm: float
    media_height_mm: float
    offset_x_mm: float
    offset_y_mm: float
    cjk_font: str = ""
    enabled: bool = True

    @classmethod
    def of(cls, row: Printer) -> PrinterConfig:
        connection = dict(row.connection or {})
        render = dict(connection.pop(RENDER_KEY, None) or {})
        return cls(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            driver=row.driver,
            settings=connection,
            render=render,
            language=row.language,
            dpi=row.dpi,
            media_width_mm=row.media_width_mm,
            media_height_mm=row.media_height_mm,
            offset_x_mm=row.offset_x_mm,
            offset_y_mm=row.offset_y_mm,
            cjk_font=row.cjk_font,
            enabled=row.enabled,
        )

    @property
    def self_rendered(self) -> bool:
        """False for a print component, which renders the platform's payload itself."""
        return self.language != COMPONENT_LANGUAGE

    def as_mapping(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "driver": self.driver,
            "language": self.language,
            "dpi": self.dpi,
            "media_mm": f"{self.media_width_mm:g}x{self.media_height_mm:g}",
            "offset_mm": [self.offset_x_mm, self.offset_y_mm],
            "cjk_font": self.cjk_font,
            "enabled": self.enabled,
            "settings": dict(self.settings),
            "render": dict(self.render),
        }


# ---------------------------------------------------------------- building plugins


def driver_for(app: App, config: PrinterConfig) -> PrinterDriver:
    """A fresh, unopened driver instance for the printer (raises the driver's own
    `ConfigurationError` for bad settings)."""
    drivers = app.plugins.printer_drivers()
    cls = drivers.get(config.driver)
    if cls is None:
        known = ", ".join(sorted(drivers)) or "none loaded"
        raise ValidationError(
            f"printer {config.name!r}: unknown driver {config.driver!r}; known: {known}",
            field="driver",
        )
    return cls(dict(config.settings), app.plugins.services)


def renderer_for(app: App, config: PrinterConfig) -> Renderer | None:
    """The renderer for the printer's language with its options (None for a print
    component). The printer's resident CJK font becomes the renderer's `resident_font`."""
    if not config.self_rendered:
        return None
    found = [c for c in app.plugins.renderers().values() if c.accepts(config.language)]
    if not found:
        raise NotSupported(
            f"printer {config.name!r}: no renderer produces {config.language!r}",
            language=config.language,
        )
    cls = found[0]
    options = dict(config.render)
    if config.cjk_font and "resident_font" in getattr(cls, "SETTINGS", {}):
        options.setdefault("resident_font", config.cjk_font)
    return cls(options, app.plugins.services)


def render_request(config: PrinterConfig, spec: Any, data: Mapping[str, Any]) -> RenderRequest:
    """A render request with the printer's language, resolution and calibration."""
    return RenderRequest(
        template=spec,
        data=data,
        language=config.language,
        dpi=config.dpi,
        offset_x_mm=config.offset_x_mm,
        offset_y_mm=config.offset_y_mm,
    )


# ---------------------------------------------------------------- services


def add_printer(
    app: App,
    actor: Actor,
    *,
    name: str,
    driver: str,
    settings: Mapping[str, Any] | None = None,
    language: str | None = None,
    dpi: int = 203,
    media_mm: tuple[float, float] = (76.0, 130.0),
    cjk_font: str = "",
    render: Mapping[str, Any] | None = None,
) -> PrinterConfig:
    """Add a printer (`settings.manage`); settings checked by building its plugins."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValidationError("printer name must be 1 to 64 characters", field="name")
    cls = app.plugins.printer_drivers().get(driver)
    if cls is None:
        driver_for(app, _draft(actor, name, driver, {}, "", dpi, media_mm))  # raises, naming
    assert cls is not None
    language = (language or _default_language(app, cls, name)).strip().lower()
    config = _checked(
        app, _draft(actor, name, driver, settings or {}, language, dpi, media_mm, cjk_font, render)
    )
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        if _find(session, actor.org_id, name) is not None:
            raise Conflict(f"a printer named {name!r} exists already", field="name")
        row = Printer(
            org_id=actor.org_id,
            name=name,
            driver=driver,
            connection=_connection(config),
            media_width_mm=config.media_width_mm,
            media_height_mm=config.media_height_mm,
            dpi=config.dpi,
            language=config.language,
            cjk_font=config.cjk_font,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            "printer.add",
            actor=actor,
            target_type="printer",
            target_id=row.id,
            after=PrinterConfig.of(row).as_mapping(),
        )
        return PrinterConfig.of(row)


def update_printer(app: App, actor: Actor, name: str, **changes: Any) -> PrinterConfig:
    """Change any of: settings, language, dpi, media_mm (or one of media_width_mm and
    media_height_mm), cjk_font, render, enabled."""
    allowed = {"settings", "language", "dpi", "media_mm", "cjk_font", "render", "enabled"}
    allowed |= {"media_width_mm", "media_height_mm"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(f"cannot change {', '.join(unknown)} of a printer", field=unknown[0])
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        row = get_row(session, actor.org_id, name)
        before = PrinterConfig.of(row)
        media = changes.get(
            "media_mm",
            (
                changes.get("media_width_mm", before.media_width_mm),
                changes.get("media_height_mm", before.media_height_mm),
            ),
        )
        draft = _draft(
            actor,
            before.name,
            before.driver,
            changes.get("settings", before.settings),
            changes.get("language", before.language),
            changes.get("dpi", before.dpi),
            media,
            changes.get("cjk_font", before.cjk_font),
            changes.get("render", before.render),
        )
        config = _checked(app, draft)
        row.connection = _connection(config)
        row.language, row.dpi, row.cjk_font = config.language, config.dpi, config.cjk_font
        row.media_width_mm, row.media_height_mm = config.media_width_mm, config.media_height_mm
        if "enabled" in changes:
            row.enabled = bool(changes["enabled"])
        session.flush()
        after = PrinterConfig.of(row)
        audit.record(
            session,
            "printer.update",
            actor=actor,
            target_type="printer",
            target_id=row.id,
            before=before.as_mapping(),
            after=after.as_mapping(),
        )
        return after


def calibrate(app: App, actor: Actor, name: str, dx_mm: float, dy_mm: float) -> PrinterConfig:
    """Set the printer's offset correction in mm (positive: right / down), at most ±20 mm;
    every later label and test page is shifted by it."""
    for key, value in (("dx", dx_mm), ("dy", dy_mm)):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValidationError(f"{key} must be a number of millimetres", field=key)
        if abs(value) > MAX_OFFSET_MM:
            raise ValidationError(
                f"{key} {value:g} mm is more than ±{MAX_OFFSET_MM:g} mm; check the media size",
                field=key,
            )
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        row = get_row(session, actor.org_id, name)
        before = {"offset_x_mm": row.offset_x_mm, "offset_y_mm": row.offset_y_mm}
        row.offset_x_mm, row.offset_y_mm = round(float(dx_mm), 2), round(float(dy_mm), 2)
        session.flush()
        audit.record(
            session,
            "printer.calibrate",
            actor=actor,
            target_type="printer",
            target_id=row.id,
            before=before,
            after={"offset_x_mm": row.offset_x_mm, "offset_y_mm": row.offset_y_mm},
        )
        return PrinterConfig.of(row)


def remove_printer(app: App, actor: Actor, name: str) -> None:
    """Remove a printer no print job used (`settings.manage`); one with jobs stays in
    their history: disable it instead (`Conflict` says so)."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        row = get_row(session, actor.org_id, name)
        used = session.scalar(
            select(PrintJobItem.id).where(PrintJobItem.printer_id == row.id).limit(1)
        ) or session.scalar(select(PrintJob.id).where(PrintJob.printer_id == row.id).limit(1))
        if used is not None:
            raise Conflict(
                f"printer {row.name!r} has printed jobs, which name it; disable it instead",
                field="name",
            )
        before = PrinterConfig.of(row).as_mapping()
        printer_id = row.id
        session.delete(row)
        session.flush()
        audit.record(
            session,
            "printer.remove",
            actor=actor,
            target_type="printer",
            target_id=printer_id,
            before=before,
        )


def list_printers(app: App, actor: Actor) -> list[PrinterConfig]:
    with app.tx() as session:
        require_use(session, actor)
        rows = session.scalars(
            select(Printer).where(Printer.org_id == actor.org_id).order_by(Printer.name)
        )
        return [PrinterConfig.of(r) for r in rows]


def get_printer(app: App, actor: Actor, name: str | int) -> PrinterConfig:
    with app.tx() as session:
        require_use(session, actor)
        return PrinterConfig.of(get_row(session, actor.org_id, name))


# ---------------------------------------------------------------- helpers


def require_use(session: Session, actor: Actor) -> None:
    """Seeing printers: whoever prints or manages settings."""
    held = authz.permissions_of(session, actor)
    if not held & {"print.run", "settings.manage"}:
        authz.require(session, actor, "print.run")


def get_row(session: Session, org_id: int, name: str | int) -> Printer:
    row = _find(session, org_id, name)
    if row is None:
        known = session.scalars(
            select(Printer.name).where(Printer.org_id == org_id).order_by(Printer.name)
        ).all()
        raise NotFound(
            f"no printer {name!r}; printers: {', '.join(known) or 'none yet (printers add)'}"
        )
    return row


def _find(session: Session, org_id: int, name: str | int) -> Printer | None:
    stmt = select(Printer).where(Printer.org_id == org_id)
    if isinstance(name, int):
        return session.scalars(stmt.where(Printer.id == name)).first()
    return session.scalars(stmt.where(Printer.name == str(name).strip())).first()


def _default_language(app: App, cls: type[PrinterDriver], name: str) -> str:
    renderable = {lang for r in app.plugins.renderers().values() for lang in r.LANGUAGES}
    for language in LANGUAGE_PREFERENCE:
        if cls.accepts(language) and (language in renderable or language == COMPONENT_LANGUAGE):
            return language
    raise ValidationError(
        f"printer {name!r}: driver {cls.name!r} accepts {', '.join(sorted(cls.LANGUAGES))}, "
        "and no renderer produces any of them",
        field="language",
    )


def _draft(
    actor: Actor,
    name: str,
    driver: str,
    settings: Mapping[str, Any],
    language: str,
    dpi: int,
    media_mm: tuple[float, float],
    cjk_font: str = "",
    render: Mapping[str, Any] | None = None,
) -> PrinterConfig:
    settings = dict(settings)
    if RENDER_KEY in settings:
        raise ValidationError(
            f"driver settings may not use the key {RENDER_KEY!r} (renderer options go there)",
            field="settings",
        )
    width, height = media_mm
    return PrinterConfig(
        id=0,
        org_id=actor.org_id,
        name=name,
        driver=driver,
        settings=settings,
        render=dict(render or {}),
        language=language,
        dpi=dpi,
        media_width_mm=float(width),
        media_height_mm=float(height),
        offset_x_mm=0.0,
        offset_y_mm=0.0,
        cjk_font=(cjk_font or "").strip(),
    )


def _checked(app: App, config: PrinterConfig) -> PrinterConfig:
    """Build the driver and the renderer as a job will; check dpi, media and language.
    Settings they refuse are the caller's mistake: a `ValidationError` naming `settings`
    or `render` (not the `ConfigurationError` of a server misconfiguration)."""
    if isinstance(config.dpi, bool) or not isinstance(config.dpi, int):
        raise ValidationError(f"dpi must be a whole number, not {config.dpi!r}", field="dpi")
    if not DPI_RANGE[0] <= config.dpi <= DPI_RANGE[1]:
        raise ValidationError(f"dpi must be {DPI_RANGE[0]} to {DPI_RANGE[1]}", field="dpi")
    for size in (config.media_width_mm, config.media_height_mm):
        if not MEDIA_RANGE_MM[0] <= size <= MEDIA_RANGE_MM[1]:
            raise ValidationError(
                f"media sizes must be {MEDIA_RANGE_MM[0]:g} to {MEDIA_RANGE_MM[1]:g} mm",
                field="media_mm",
            )
    try:
        device = driver_for(app, config)
    except ConfigurationError as error:  # the merchant's settings, not the server's
        raise ValidationError(error.message, field="settings") from None
    if not device.accepts(config.language):
        raise ValidationError(
            f"printer {config.name!r}: driver {config.driver!r} does not take "
            f"{config.language!r}; it takes {', '.join(sorted(device.LANGUAGES))}",
            field="language",
        )
    try:
        renderer_for(app, config)
    except ConfigurationError as error:
        raise ValidationError(error.message, field="render") from None
    return config


def _connection(config: PrinterConfig) -> dict[str, Any]:
    out = dict(config.settings)
    if config.render:
        out[RENDER_KEY] = dict(config.render)
    return out
