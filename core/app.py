"""The running application: settings, database, keys and plugins, opened once per process.

Front ends (CLI, API, TUI) and tests call `open_app` and pass the `App` to services. It holds
no business logic itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core import crypto
from core.config import Settings, load_settings
from core.db import create_db_engine, make_session_factory, transaction

if TYPE_CHECKING:
    from core.plugins.host import PluginHost

log = logging.getLogger("orderhub")


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: crypto.Keyring
    plugins: PluginHost = field(default=None)  # type: ignore[assignment]  # set by open_app

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One committed unit of work (see `core.db.transaction`)."""
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_app(settings: Settings | None = None, *, load_plugins: bool = True) -> App:
    """Connect to the database, install the keyring, load plugins. Does not migrate."""
    from core.plugins.host import PluginHost  # late: plugins import contracts that import core

    settings = settings or load_settings()
    keyring = crypto.keyring_from(settings.secret_key, settings.effective_key_file)
    crypto.install_keyring(keyring)
    engine = create_db_engine(settings.effective_database_url)
    app = App(settings, engine, make_session_factory(engine), keyring)
    app.plugins = PluginHost(app, settings.plugins)
    if load_plugins:
        app.plugins.load()
    return app
