"""Alembic migrations on both backends: empty → head, models == schema, down and up again."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.exc import DBAPIError

from core import clock, migrate
from core.db import create_db_engine
from core.models import Base


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _downgrade(engine: Engine, revision: str) -> None:
    """Alembic's downgrade over our engine, the way `core.migrate.upgrade` runs upgrades."""
    cfg = migrate.alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def _schema_diffs(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_empty_database_to_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None
    assert _tables(engine) == set()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _tables(engine) == set(Base.metadata.tables)


def test_models_match_migrations(engine: Engine) -> None:
    """A model change without its migration shows up here as a diff."""
    migrate.upgrade(engine)
    assert _schema_diffs(engine) == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    _downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert _tables(engine) == set()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _schema_diffs(engine) == []


def test_the_available_index_exists_on_both_backends(engine: Engine) -> None:
    """The expression index behind "lowest available first" (0017), which SQLite's
    reflection skips, is there and goes with a downgrade."""

    def defined() -> str:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                found = "SELECT sql FROM sqlite_master WHERE name = 'ix_stock_levels_available'"
            else:
                found = (
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_stock_levels_available'"
                )
            return " ".join(str(conn.scalar(text(found)) or "").split())

    migrate.upgrade(engine)
    assert "on_hand - reserved" in defined() and "sku_id" in defined()
    _downgrade(engine, "0016")
    assert defined() == ""


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'rewritten'", "DELETE FROM audit_events"],
)
def test_audit_events_refuse_update_and_delete(engine: Engine, statement: str) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (actor_label, action, target_type, target_id, detail, at)"
                " VALUES ('test', 'org.create', 'org', '1', '', CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT action FROM audit_events")).all()
    assert [r.action for r in rows] == ["org.create"]


def _seed_order(engine: Engine, raw: str) -> None:
    """One org, shop and order at revision 0004; `raw` written as that revision's text."""
    from sqlalchemy.orm import Session

    from core.models import Order, Org, Shop

    with Session(engine) as session:
        org = Org(name="o")
        session.add(org)
        session.flush()
        shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="1", name="s")
        session.add(shop)
        session.flush()
        session.commit()
    # The ORM's Order has columns later revisions add: insert only what 0004 has.
    columns = [c for c in Order.__table__.columns if c.name in _columns(engine, "orders")]
    values = {}
    for c in columns:
        if c.default is not None:
            callable_default = callable(c.default.arg)  # list (JSON) or clock.now
            values[c.name] = c.default.arg if not callable_default else None
            if callable_default:
                values[c.name] = [] if c.name in ("tags", "exception_reasons") else clock.now()
    values.update(id=1, org_id=1, shop_id=1, platform_order_no="A-1")
    table = sa_table("orders", *(sa_column(n, Order.__table__.c[n].type) for n in values))
    with engine.begin() as conn:
        conn.execute(table.insert().values(**values))
        conn.execute(text("UPDATE orders SET raw = :raw"), {"raw": raw})


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_raw_payloads_survive_0005_up_and_down(engine: Engine) -> None:
    """Text ciphertext written before 0005 reads after it; new forms go back to text."""
    from sqlalchemy.orm import Session

    from core.crypto import Keyring, current_keyring, generate_key, install_keyring
    from core.models import Order
    from core.models.base import Payload, json_text

    try:
        previous = current_keyring()
    except Exception:
        previous = None
    install_keyring(Keyring([generate_key()]))
    try:
        migrate.upgrade(engine, "0004")
        legacy = {"order_sn": "A-1", "receiver_name": "张三"}
        _seed_order(engine, current_keyring().encrypt(json_text(legacy)))
        migrate.upgrade(engine)
        with Session(engine) as session:
            order = session.get(Order, 1)
            assert order is not None and order.raw == legacy
            order.raw = Payload({"order_sn": "A-1", "v": 2}, personal=False)
            session.commit()
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT raw FROM orders")).scalar_one()
        assert bytes(stored).startswith(b'j{"order_sn":"A-1"')
        _downgrade(engine, "0004")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT raw FROM orders")).scalar_one()
        back = back if isinstance(back, str) else bytes(back).decode("ascii")
        assert back.startswith("aead:")
        assert json.loads(current_keyring().decrypt(back)) == {"order_sn": "A-1", "v": 2}
    finally:
        install_keyring(previous)


def _epoch(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT request_epoch FROM installation WHERE id = 1")
        ).scalar_one()


def test_0006_draws_an_epoch_of_its_own_for_each_database(engine: Engine) -> None:
    """Carrier request ids start with it: a reinstall must not repeat the last one's."""
    migrate.upgrade(engine)
    first = _epoch(engine)
    assert len(first) == 8 and int(first, 16) >= 0
    _downgrade(engine, "0005")
    assert "installation" not in _tables(engine)
    migrate.upgrade(engine)
    assert _epoch(engine) != first


def test_0007_quarantine_round_trips(engine: Engine) -> None:
    """Down to 0006 drops only `quarantined_orders`; up again gives it back, and a payload
    written there is sealed at rest and reads back."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from core.crypto import Keyring, current_keyring, generate_key, install_keyring
    from core.models import Org, QuarantinedOrder, Shop
    from core.models.base import SEALED_TAG, Payload

    try:
        previous = current_keyring()
    except Exception:
        previous = None
    install_keyring(Keyring([generate_key()]))
    try:
        migrate.upgrade(engine, "0007")
        before = _tables(engine)
        _downgrade(engine, "0006")
        assert migrate.current_revision(engine) == "0006"
        assert _tables(engine) == before - {"quarantined_orders"}
        migrate.upgrade(engine, "0007")
        assert _tables(engine) == before
        migrate.upgrade(engine)
        assert _schema_diffs(engine) == []
        with Session(engine) as session:
            org = Org(name="o")
            session.add(org)
            session.flush()
            shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="1", name="s")
            session.add(shop)
            session.flush()
            payload = {"order_sn": "A-1", "receiver_name": "张三"}
            session.add(
                QuarantinedOrder(
                    org_id=org.id,
                    shop_id=shop.id,
                    platform_order_no="A-1",
                    reason="bad price",
                    raw=Payload(payload, personal=True),
                )
            )
            session.commit()
        with engine.connect() as conn:
            blob = bytes(conn.execute(text("SELECT raw FROM quarantined_orders")).scalar_one())
        assert blob.startswith(SEALED_TAG) and b"A-1" not in blob
        with Session(engine) as session:
            assert session.scalars(select(QuarantinedOrder)).one().raw == payload
    finally:
        install_keyring(previous)


def test_0009_shipment_outbox_round_trips(engine: Engine) -> None:
    """Down to 0008 drops only `shipment_outbox`; up again gives it back with its partial
    due index, and the schema refuses a second outbox row for one order."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from core.models import Order, Org, Package, ShipmentOutbox, Shop

    migrate.upgrade(engine, "0009")
    before = _tables(engine)
    _downgrade(engine, "0008")
    assert migrate.current_revision(engine) == "0008"
    assert _tables(engine) == before - {"shipment_outbox"}
    migrate.upgrade(engine, "0009")
    assert _tables(engine) == before
    migrate.upgrade(engine)
    assert _schema_diffs(engine) == []
    indexes = {i["name"] for i in inspect(engine).get_indexes("shipment_outbox")}
    assert {"ix_shipment_outbox_due", "ix_shipment_outbox_org_state"} <= indexes
    with Session(engine) as session:
        org = Org(name="o")
        session.add(org)
        session.flush()
        shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="1", name="s")
        session.add(shop)
        session.flush()
        order = Order(org_id=org.id, shop_id=shop.id, platform_order_no="A-1")
        package = Package(org_id=org.id, shop_id=shop.id, status="shipped")
        session.add_all([order, package])
        session.flush()

        def row() -> ShipmentOutbox:
            return ShipmentOutbox(
                org_id=org.id,
                shop_id=shop.id,
                order_id=order.id,
                order_number="A-1",
                package_id=package.id,
                logistics_company_id="115",
                tracking_number="YT1234567890123",
            )

        session.add(row())
        session.commit()
        session.add(row())
        with pytest.raises(IntegrityError):
            session.commit()


def test_0010_carries_each_orgs_newest_shipping_setting_over(engine: Engine) -> None:
    """Up to 0010, the newest `shipping.settings` audit event of each org becomes its
    `shipping` row of `org_settings` (an org without one gets none: the default); down
    to 0009 drops only the table."""
    from sqlalchemy.orm import Session

    from core.models import AuditEvent, Org

    migrate.upgrade(engine, "0009")
    with Session(engine) as session:
        orgs = {name: Org(name=name) for name in ("a", "b", "c")}
        session.add_all(orgs.values())
        session.flush()
        ids = {name: org.id for name, org in orgs.items()}
        for name, on in (("a", True), ("a", False), ("b", True)):
            session.add(
                AuditEvent(
                    org_id=ids[name],
                    actor_label="boss",
                    action="shipping.settings",
                    target_type="shipping_settings",
                    target_id=str(ids[name]),
                    after={"require_verification": on},
                )
            )
        session.commit()
    before = _tables(engine)
    migrate.upgrade(engine, "0010")
    assert _tables(engine) == before | {"org_settings"}
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT org_id, section, "values", version FROM org_settings')
        ).all()
    carried = {
        org: (section, json.loads(values) if isinstance(values, str) else values, version)
        for org, section, values, version in rows
    }
    assert carried == {
        ids["a"]: ("shipping", {"require_verification": False}, 1),
        ids["b"]: ("shipping", {"require_verification": True}, 1),
    }
    _downgrade(engine, "0009")
    assert _tables(engine) == before


def test_0011_adds_and_drops_the_desks_list_indexes(engine: Engine) -> None:
    def found() -> dict[str, list[str]]:
        return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("orders")}

    added = {
        "ix_orders_org_paid": ["org_id", "paid_at", "id"],
        "ix_orders_org_province_paid": ["org_id", "receiver_province", "paid_at", "id"],
    }
    migrate.upgrade(engine, "0010")
    assert not set(added) & set(found())
    migrate.upgrade(engine, "0011")
    assert {name: found()[name] for name in added} == added
    _downgrade(engine, "0010")
    assert not set(added) & set(found())


def test_0012_adds_and_drops_the_users_language(engine: Engine) -> None:
    def columns() -> set[str]:
        return {column["name"] for column in inspect(engine).get_columns("users")}

    migrate.upgrade(engine, "0011")
    assert "language" not in columns()
    migrate.upgrade(engine, "0012")
    assert "language" in columns()
    _downgrade(engine, "0011")
    assert "language" not in columns()


def test_0018_adds_and_drops_the_idempotency_keys(engine: Engine) -> None:
    migrate.upgrade(engine, "0017")
    assert "idempotency_keys" not in _tables(engine)
    migrate.upgrade(engine, "0018")
    assert "idempotency_keys" in _tables(engine)
    unique = inspect(engine).get_unique_constraints("idempotency_keys")
    assert [c["column_names"] for c in unique] == [["org_id", "key"]]
    _downgrade(engine, "0017")
    assert "idempotency_keys" not in _tables(engine)
