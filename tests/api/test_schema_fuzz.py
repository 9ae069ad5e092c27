"""schemathesis over the API's own `/v1/openapi.json`: no input may cause a 5xx, and every
answer must match what the document declares (status, content type, body schema).

The schema is loaded from the in-process ASGI app (`schemathesis.openapi.from_asgi`; the
core App is opened by the app's lifespan), so every operation the registry declares is
fuzzed without listing it here: routes added later are picked up by themselves. Each
operation gets a bounded, seeded number of examples (`EXAMPLES`, `derandomize`), on both
backends through the `settings` fixture. The fixture data is small but real (`fuzzed`):
orders, a waybill, a printer, stock, and another org's orders, which must stay unseen.

Three runs: with a real bearer token of the org's admin (every permission: the handlers
run to the end; schemathesis' boundary examples on PostgreSQL, generated ones on both);
without one (every authenticated operation must answer 401; SQLite only);
and stateful sequences along the document's links (declared, `api.contract.Link`, and
those schemathesis infers), as the admin."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.python import asgi as schemathesis_asgi

from api.app import create_app
from core.accounts import auth, tokens
from core.actor import Actor
from core.app import App
from core.config import ApiSettings, Settings
from core.errors import AuthenticationFailed
from core.printing.printers import add_printer
from core.stock import catalogue, warehouses
from tests.conftest import PG_URL
from tests.packages.desk import WANG, Desk, make_order

#: Examples per operation (CI budget: the whole file within about two minutes with every
#: route of issue 15); `ORDERHUB_FUZZ_EXAMPLES=200` for a deeper run by hand.
EXAMPLES = int(os.environ.get("ORDERHUB_FUZZ_EXAMPLES", "15"))
#: Seconds a call may take; an event stream (print-job progress) is cut there, keeping the
#: events it sent, instead of hanging the run.
TIMEOUT = 10
#: Without a token every answer is the same 401 before any handler runs: a few generated
#: examples suffice (no explicit phase: its probes of other methods cost the most here).
ANONYMOUS_EXAMPLES = max(3, EXAMPLES // 5)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

FUZZ = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples every run: a failure in CI fails again locally
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # Explicit examples and generated ones; no shrinking marathon on a failure.
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)
GENERATED = hypothesis.settings(FUZZ, phases=[hypothesis.Phase.generate])
ANONYMOUS = hypothesis.settings(
    FUZZ, max_examples=ANONYMOUS_EXAMPLES, phases=[hypothesis.Phase.generate]
)


@dataclasses.dataclass
class Fuzzed:
    """The live API under test and a way to a valid admin token."""

    settings: Settings
    core: App
    admin: Actor
    _token: str | None = None

    def token(self) -> str:
        """The admin's bearer token; a new one when a fuzzed call revoked it (a logout, a
        password change, a token deleted by id). Issued directly, not by logging in: fuzzed
        logins as the admin with wrong passwords lock the account for logins."""
        if self._token is not None:
            try:
                auth.authenticate(self.core, self._token)
                return self._token
            except AuthenticationFailed:
                pass
        with self.core.tx() as session:
            issued = tokens.issue(
                session,
                org_id=self.admin.org_id,
                user_id=self.admin.user_id,
                kind="session",
                name="schemathesis",
                lifetime=timedelta(hours=1),
            )
        self._token = issued.token
        return self._token


@pytest.fixture
def fuzzed(settings: Settings, app, acme, globex, tmp_path) -> Fuzzed:  # type: ignore[no-untyped-def]
    """A little of everything the routes read, made by core's own services, so lists are
    not empty and the inferred links (a list's names into its detail route) find objects:
    a shop and orders (one packed, with a waybill of a manual carrier account), a file
    printer, a warehouse and a SKU; another org's shop and order, which must stay unseen."""
    ours = Desk(app, acme)
    shop = ours.shop()
    ours.store(shop, make_order("A-1"), make_order("A-2"), make_order("A-3", receiver=WANG))
    ours.waybill("A-2", "SF1000000001", account=ours.manual_account())
    add_printer(app, acme.admin, name="p1", driver="file", settings={"folder": str(tmp_path)})
    warehouses.add_warehouse(app, acme.admin, "主仓")
    catalogue.add_sku(app, acme.admin, "SKU-1", "杯子")
    theirs = Desk(app, globex)
    theirs.store(theirs.shop(name="别人的店", platform_shop_id="7001"), make_order("G-1"))
    return Fuzzed(settings, app, acme.admin)


@pytest.fixture
def api_schema(fuzzed: Fuzzed) -> Iterator[schemathesis.BaseSchema]:
    # No 429s: the rate limit has its own tests, here it would only hide the handlers.
    limits = ApiSettings(rate_per_minute=1_000_000, burst=100_000)
    application = create_app(dataclasses.replace(fuzzed.settings, api=limits))
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", application)
    try:
        yield schema
    finally:
        # The lifespan schemathesis started closes the app's core App (and its pool).
        schemathesis_asgi.shutdown_lifespans()


schema = schemathesis.pytest.from_fixture("api_schema")


# Which backend each run takes, chosen at collection (no run is skipped in CI):
# schemathesis' explicit phase (boundary values, missing and wrong fields: half the run's
# time) bites on PostgreSQL, which enforces lengths and ranges SQLite lets through, so it
# runs there (on SQLite when no PostgreSQL is configured); the generated examples run on
# SQLite too; the 401s before any handler runs do not depend on the backend.
POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
BOUNDARY_BACKEND = pytest.mark.parametrize(
    "database_url", [POSTGRES if PG_URL else "sqlite"], indirect=True
)
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _as_admin(case, fuzzed: Fuzzed) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {fuzzed.token()}"}
    case.call_and_validate(headers=headers, checks=CHECKS, timeout=TIMEOUT)


@schema.parametrize()
@FUZZ
@BOUNDARY_BACKEND
def test_authenticated_answers_match_the_document(case, fuzzed: Fuzzed) -> None:  # type: ignore[no-untyped-def]
    _as_admin(case, fuzzed)


@schema.parametrize()
@GENERATED
@ON_SQLITE
def test_authenticated_generated_examples_on_sqlite(case, fuzzed: Fuzzed) -> None:  # type: ignore[no-untyped-def]
    _as_admin(case, fuzzed)


@schema.parametrize()
@ANONYMOUS
@ON_SQLITE
def test_without_a_token_only_public_operations_answer(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call_and_validate(checks=CHECKS, timeout=TIMEOUT)
    declared = case.method.upper() == case.operation.method.upper()  # not a TRACE probe
    if declared and case.operation.definition.raw.get("security"):
        assert response.status_code in (401, 413), (case.operation.label, response.text)


def test_stateful_sequences_follow_the_links(api_schema, fuzzed: Fuzzed) -> None:  # type: ignore[no-untyped-def]
    """Sequences of calls, each feeding the next through the document's links (a search's
    first order number into the order's detail, …), as the admin."""
    base = api_schema.as_state_machine()

    class Sequences(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):  # type: ignore[no-untyped-def]
            return {
                "headers": {"Authorization": f"Bearer {fuzzed.token()}"},
                "timeout": TIMEOUT,
            }

        def validate_response(self, response, case, additional_checks=None, **kwargs):  # type: ignore[no-untyped-def]
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Sequences.run(settings=hypothesis.settings(FUZZ, max_examples=EXAMPLES, stateful_step_count=5))
