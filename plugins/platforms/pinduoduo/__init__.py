"""Pinduoduo (拼多多) sales platform plugin: signed gateway client, mapping, OAuth.

Registered through the `orderhub` entry point `platform-pinduoduo` like any third-party
plugin. Modules: `sign` (the gateway signature), `transport` (HTTP, retries), `ratelimit`,
`errors` (gateway codes → typed errors), `mapping` (pure payload ↔ core types), `oauth`,
`settings`, `platform` (the `SalesPlatform` class).
"""

from __future__ import annotations

from core.contracts import SalesPlatform
from core.hookspecs import hookimpl


@hookimpl
def register_platforms() -> list[type[SalesPlatform]]:
    """The Pinduoduo platform class (imported here so loading the sign module alone, as
    the sandbox does, stays cheap)."""
    from plugins.platforms.pinduoduo.platform import PinduoduoPlatform

    return [PinduoduoPlatform]
