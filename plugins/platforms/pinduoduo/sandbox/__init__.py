"""The Pinduoduo sandbox gateway: a double of the real gateway for tests and the demo.

It speaks the protocol of pinduoduo.md at a configurable URL — signed requests, the
error envelopes, OAuth codes and expiring tokens, windows and paging, rate limits,
ciphertext receiver fields, e-waybills — over seeded, realistic orders that keep
changing, with faults injected on demand. The client under test is always the real one.
"""

from plugins.platforms.pinduoduo.sandbox.app import create_sandbox_app
from plugins.platforms.pinduoduo.sandbox.config import SandboxConfig
from plugins.platforms.pinduoduo.sandbox.faults import FaultSpec, FaultSpecError
from plugins.platforms.pinduoduo.sandbox.server import SandboxProcess, SandboxServer
from plugins.platforms.pinduoduo.sandbox.state import Sandbox

__all__ = [
    "FaultSpec",
    "FaultSpecError",
    "Sandbox",
    "SandboxConfig",
    "SandboxProcess",
    "SandboxServer",
    "create_sandbox_app",
]
