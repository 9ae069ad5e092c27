"""`pdd.goods.quantity.update` (商品库存更新): set one SKU's stock, a full update.

Parameters (the open platform's API page; pinduoduo.md has no section for it yet):
`goods_id` (LONG, required), `sku_id` (LONG; `sku_id` or `outer_id` required),
`outer_id` (the SKU's merchant code), `quantity` (LONG, ≥ 0 for a full update),
`update_type` (1 full — what we send —, 2 incremental; default 1). Success is
`goods_quantity_update_response: {"is_success": true}`.

No call limit for this API is published in our notes: the client-side default is a
cautious 600 calls per 60 s per shop (`settings.DEFAULT_RATE_LIMITS`, overridable in
`rate_limits`), which also makes a first push of a large catalogue spread itself out.
"""

from __future__ import annotations

from core.contracts import QuantityUpdate
from core.errors import ExternalError, ValidationError
from plugins.platforms.pinduoduo.transport import GatewayTransport

API = "pdd.goods.quantity.update"
FULL_UPDATE = 1


def update_quantity(transport: GatewayTransport, access_token: str, update: QuantityUpdate) -> None:
    """Send one full update; a refusal raises `ExternalError` naming the goods and SKU."""
    for name in ("goods_id", "sku_id"):
        value = getattr(update, name).strip()
        if not (value.isascii() and value.isdigit()):
            raise ValidationError(
                f"Pinduoduo {name} must be a number, not {value[:40]!r}", field=name
            )
    params: dict[str, object] = {
        "goods_id": update.goods_id.strip(),
        "sku_id": update.sku_id.strip(),
        "quantity": update.quantity,
        "update_type": FULL_UPDATE,
    }
    if update.outer_id:
        params["outer_id"] = update.outer_id
    body = transport.call(API, params, access_token=access_token)
    if body.get("is_success") not in (True, "true", 1):
        raise ExternalError(
            f"Pinduoduo {API} did not apply quantity {update.quantity} to goods "
            f"{update.goods_id} SKU {update.sku_id}: is_success is {body.get('is_success')!r}",
            retryable=False,
            api=API,
        )
