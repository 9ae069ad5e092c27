"""A process that allocates waybills and dies by SIGKILL at a chosen moment.

Run as `python -m tests.waybills.crash_child` with the orderhub settings in the
environment (`ORDERHUB_DATABASE_URL`, `ORDERHUB_SECRET_KEY`, `[platforms.pinduoduo]`
pointing at the sandbox) and a JSON job on stdin: `{"org_id", "account", "packages",
"die_at"}`. `die_at: "store"` kills the process at its first INSERT into `waybills` —
after the carrier allocated, before anything is stored: the crash the allocation design
has to survive. SIGKILL, not an exception: no `finally`, no rollback handler, no
compensation gets to run.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from sqlalchemy import event

from core.actor import Actor
from core.startup import open_app
from core.waybills import allocation as waybills


def main() -> None:
    job = json.loads(sys.stdin.read())
    app = open_app()

    def die(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if job["die_at"] == "store" and statement.lstrip().upper().startswith(
            "INSERT INTO WAYBILLS"
        ):
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(app.engine, "before_cursor_execute", die)
    report = waybills.allocate(
        app, Actor.system(job["org_id"], "crash-child"), job["packages"], job["account"]
    )
    print(json.dumps([o.outcome for o in report.outcomes]))


if __name__ == "__main__":
    main()
