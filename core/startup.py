"""Opening orderhub in a process: settings, keyring, database, plugins, and the services
plugins receive.

The composition root: `open_app` is the one place that wires core together, so no module
below it has to import upwards. Front ends, workers, helper processes and tests call it.
"""

from __future__ import annotations

from core import crypto
from core.alerts.raising import raise_alert
from core.app import App
from core.config import Settings, load_settings
from core.contracts.types import AlertInfo
from core.db import create_db_engine, make_session_factory
from core.plugins.host import PluginHost


class CoreServices:
    """What core offers plugin instances (`core.contracts.PluginServices`)."""

    def __init__(self, app: App) -> None:
        self._app = app

    def raise_alert(self, org_id: int | None, kind: str, severity: str, message: str) -> AlertInfo:
        """Store an alert in its own transaction and fire `alert_raised`."""
        return raise_alert(self._app, org_id, kind, severity, message)


def open_app(
    settings: Settings | None = None,
    *,
    load_plugins: bool = True,
    bulk_writes: bool = False,
    sqlite_mmap_mib: int = 0,
) -> App:
    """Connect to the database, install the keyring, load plugins. Does not migrate, and
    does not create a database that is not there (`orderhub init` does). `bulk_writes`:
    for the worker and imports; `sqlite_mmap_mib`: for the API's processes
    (`core.db.create_db_engine`)."""
    settings = settings or load_settings()
    keyring = crypto.keyring_from(settings.secret_key, settings.effective_key_file)
    crypto.install_keyring(keyring)
    engine = create_db_engine(
        settings.effective_database_url,
        must_exist=True,
        bulk_writes=bulk_writes,
        mmap_mib=sqlite_mmap_mib,
    )
    host = PluginHost(settings.plugins)
    app = App(settings, engine, make_session_factory(engine), keyring, host)
    host.bind_services(CoreServices(app))
    if load_plugins:
        host.load()
    return app
