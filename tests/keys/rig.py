"""Rows with every kind of encrypted value, written for the key tests."""

from __future__ import annotations

from sqlalchemy import text

from core.app import App
from core.models import Order, Org, Shop, User
from core.models.base import Payload, json_text

SECRETS = ["JBSWY3DPEHPK3PXP", "种子二号", "third-秘密", "4444", "fifth"]


def add_users(app: App, secrets: list[str | None]) -> None:
    with app.tx() as session:
        org = Org(name="keys-org")
        session.add(org)
        session.flush()
        for i, secret in enumerate(secrets):
            session.add(
                User(org_id=org.id, username=f"user{i}", password_hash="x", totp_secret=secret)
            )


TOKENS = {"access_token": "pdd-令牌-1", "refresh_token": "pdd-refresh-1"}
PAYLOADS = {
    "sealed": {"order_sn": "S-1", "receiver_name": "张三"},
    "clear": {"order_sn": "C-1", "receiver_name": "张*"},
    "legacy": {"order_sn": "L-1", "receiver_phone": "13800000000"},
    "legacy_text": {"order_sn": "T-1", "receiver_address": "上海市"},  # SQLite only
}


def add_shop_and_orders(app: App) -> dict[str, int]:
    """A shop with platform tokens and one order per stored `raw` form; order ids by form.

    `legacy` is the text ciphertext written before migration 0005, as bytes (as 0005 left it
    on both backends); `legacy_text` the same kept as TEXT, which only SQLite can hold.
    """
    forms = [f for f in PAYLOADS if f != "legacy_text" or is_sqlite(app)]
    with app.tx() as session:
        org = Org(name="raw-org")
        session.add(org)
        session.flush()
        shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="9", name="店")
        shop.credentials = TOKENS
        session.add(shop)
        session.flush()
        orders = {}
        for form in forms:
            raw = Payload(PAYLOADS[form], personal=form != "clear")
            orders[form] = Order(org_id=org.id, shop_id=shop.id, platform_order_no=form, raw=raw)
        session.add_all(orders.values())
        session.flush()
        ids = {form: order.id for form, order in orders.items()}
    for form in ("legacy", "legacy_text"):
        if form in ids:
            old_text = app.keyring.encrypt(json_text(PAYLOADS[form]))
            set_raw(app, ids[form], old_text.encode("ascii") if form == "legacy" else old_text)
    return ids


def is_sqlite(app: App) -> bool:
    return app.engine.dialect.name == "sqlite"


def set_raw(app: App, order_id: int, value: bytes | str) -> None:
    with app.engine.begin() as conn:
        conn.execute(
            text("UPDATE orders SET raw = :v WHERE id = :id"), {"v": value, "id": order_id}
        )


def raw_secrets(app: App) -> dict[str, str]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT username, totp_secret FROM users WHERE totp_secret IS NOT NULL")
        )
        return {name: value for name, value in rows}
