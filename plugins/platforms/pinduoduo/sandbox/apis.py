"""Which `type`s the sandbox gateway serves, their success keys (pinduoduo.md §1.4), and
whether they need a shop's access token (token and app-level APIs do not)."""

from __future__ import annotations

from plugins.platforms.pinduoduo.sandbox import api_basic, api_goods, api_orders, api_waybill
from plugins.platforms.pinduoduo.sandbox.gateway import Api

APIS: dict[str, Api] = {
    api.name: api
    for api in (
        Api("pdd.time.get", "time_get_response", api_basic.time_get, needs_token=False),
        Api(
            "pdd.pop.auth.token.create",
            "pop_auth_token_create_response",
            api_basic.token_create,
            needs_token=False,
        ),
        Api(
            "pdd.pop.auth.token.refresh",
            "pop_auth_token_refresh_response",
            api_basic.token_refresh,
            needs_token=False,
        ),
        Api(
            "pdd.order.number.list.increment.get",
            "order_sn_increment_get_response",
            api_orders.increment_get,
        ),
        Api("pdd.order.list.get", "order_list_get_response", api_orders.list_get),
        Api("pdd.order.information.get", "order_info_get_response", api_orders.information_get),
        Api("pdd.order.status.get", "order_status_get_response", api_orders.status_get),
        Api("pdd.open.decrypt.batch", "open_decrypt_batch_response", api_orders.decrypt_batch),
        Api(
            "pdd.open.decrypt.mask.batch",
            "open_decrypt_mask_batch_response",
            api_orders.decrypt_mask_batch,
        ),
        Api(
            "pdd.logistics.companies.get",
            "logistics_companies_get_response",
            api_basic.companies_get,
            needs_token=False,
        ),
        Api("pdd.logistics.online.send", "logistics_online_send_response", api_basic.online_send),
        Api(
            "pdd.goods.quantity.update",
            "goods_quantity_update_response",
            api_goods.quantity_update,
        ),
        Api("pdd.waybill.search", "pdd_waybill_search_response", api_waybill.search),
        Api("pdd.waybill.get", "pdd_waybill_get_response", api_waybill.get),
        Api("pdd.waybill.cancel", "pdd_waybill_cancel_response", api_waybill.cancel),
        Api(
            "pdd.waybill.query.by.waybillcode",
            "pdd_waybill_query_by_waybillcode_response",
            api_waybill.query_by_code,
        ),
        Api(
            "pdd.cloudprint.stdtemplates.get",
            "pdd_cloudprint_stdtemplates_get_response",
            api_waybill.stdtemplates_get,
            needs_token=False,
        ),
    )
}
