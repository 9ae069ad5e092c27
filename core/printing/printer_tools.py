"""Talking to printers outside a print job: asking drivers what they can see, and printing
the test page (rulers and offsets) a merchant calibrates with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.contracts.printer import PrinterInfo
from core.errors import NotSupported, OrderhubError, ValidationError
from core.printing.printers import (
    PrinterConfig,
    driver_for,
    get_row,
    render_request,
    renderer_for,
    require_use,
)
from core.printing.testpage import build_test_page


@dataclass(frozen=True)
class DiscoveryResult:
    """What one driver found; `error` when it could not look (e.g. CUPS not running)."""

    driver: str
    printers: list[PrinterInfo] = field(default_factory=list)
    error: str = ""


def discover(
    app: App,
    actor: Actor,
    driver: str | None = None,
    timeout: float = 3.0,
    settings: Mapping[str, Any] | None = None,
) -> list[DiscoveryResult]:
    """Ask every driver that can discover (or just `driver`, built with `settings`, e.g.
    a print component's URL or a CUPS server) what it sees right now."""
    with app.tx() as session:
        require_use(session, actor)
    drivers = app.plugins.printer_drivers()
    if driver is not None and driver not in drivers:
        raise ValidationError(f"unknown driver {driver!r}; known: {', '.join(sorted(drivers))}")
    results: list[DiscoveryResult] = []
    for name, cls in sorted(drivers.items()):
        if (driver and name != driver) or not cls.SUPPORTS_DISCOVERY:
            continue
        try:
            with cls(dict(settings or {}), app.plugins.services) as instance:
                results.append(DiscoveryResult(name, instance.discover(timeout)))
        except OrderhubError as exc:
            results.append(DiscoveryResult(name, error=exc.message))
    return results


def print_test_page(app: App, actor: Actor, name: str) -> int:
    """Print the test page (ruler, offsets) on printer `name`; returns the bytes sent."""

    with app.tx() as session:
        authz.require(session, actor, "print.run")
        config = PrinterConfig.of(get_row(session, actor.org_id, name))
    renderer = renderer_for(app, config)
    if renderer is None:
        raise NotSupported(
            f"printer {config.name!r} is a print component: it prints platform templates "
            "only; use the component's own test print"
        )
    spec = build_test_page(
        printer=config.name,
        width_mm=config.media_width_mm,
        height_mm=config.media_height_mm,
        dpi=config.dpi,
        language=config.language,
        offset_x_mm=config.offset_x_mm,
        offset_y_mm=config.offset_y_mm,
    )
    document = renderer.render(render_request(config, spec, {}))
    with driver_for(app, config) as device:
        device.write(document.content)
    return len(document.content)
