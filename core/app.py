"""The running application: settings, database, keys and plugins, as services receive it.

Front ends (CLI, API, TUI) and tests open one with `core.startup.open_app` and pass the
`App` to services. It holds no business logic itself, and imports no service: services
import it (for their signatures), so it stays below all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core import crypto
from core.config import Settings
from core.db import transaction
from core.plugins.host import PluginHost


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: crypto.Keyring
    plugins: PluginHost

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One committed unit of work (see `core.db.transaction`)."""
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
