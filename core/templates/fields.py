"""Which data fields a template of each kind may bind, and how a bound value is looked up.

The catalogue is what validation checks element `field`s against (a typo in a template is
an error at import, not a blank on 500 printed labels) and what a template editor offers.
Data for rendering is a plain nested mapping (see `core.templates.data`): a field path
`receiver.name` walks `data["receiver"]["name"]`. List fields (`items`, `pick_lines`) feed
only `items` elements, whose columns bind row fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from core.errors import ValidationError
from core.masking import mask_address, mask_name, mask_phone

KINDS = ("label", "packing_slip", "pick_list", "product_label")

_PARTY = {
    "name": "姓名",
    "phone": "电话",
    "address": "完整地址（省市区+详细地址）",
}


def _party(prefix: str, title: str) -> dict[str, str]:
    return {f"{prefix}.{key}": f"{title}{label}" for key, label in _PARTY.items()}


#: Fields every kind has: the renderer fills them when a document spans several pages.
PAGE_FIELDS = {"page.number": "页码", "page.count": "总页数"}

LABEL_FIELDS = {
    "waybill_number": "运单号",
    "sort_code": "三段码/大头笔",
    "package_center": "集包地",
    "package_center_code": "集包地代码",
    "route_name": "大头笔（目的地）",
    "carrier.code": "快递公司代码",
    "carrier.name": "快递公司",
    **_party("sender", "寄件人"),
    **_party("receiver", "收件人"),
    "order.number": "订单号（合并包裹时以逗号分隔）",
    "order.count": "订单数",
    "items_summary": "商品摘要",
    "total_quantity": "商品总件数",
    "remarks": "备注",
    "print_time": "打印时间",
    "package.index": "第几个包裹",
    "package.count": "包裹总数",
    "package.weight": "重量",
    "shop.name": "店铺",
    **PAGE_FIELDS,
}

PACKING_SLIP_FIELDS = {
    "shop.name": "店铺",
    "order.number": "订单号",
    "order.created_at": "下单时间",
    "order.paid_at": "付款时间",
    **_party("receiver", "收件人"),
    **_party("sender", "寄件人"),
    "waybill_number": "运单号",
    "carrier.name": "快递公司",
    "total_quantity": "商品总件数",
    "total_amount": "商品金额",
    "postage": "运费",
    "paid_amount": "实付金额",
    "buyer_memo": "买家留言",
    "seller_remark": "卖家备注",
    "print_time": "打印时间",
    **PAGE_FIELDS,
}

PICK_LIST_FIELDS = {
    "batch.number": "批次号",
    "print_time": "打印时间",
    "operator": "拣货员",
    "total_quantity": "商品总件数",
    "sku_count": "SKU 数",
    "order_count": "订单数",
    **PAGE_FIELDS,
}

PRODUCT_LABEL_FIELDS = {
    "sku.code": "商家编码",
    "sku.name": "商品名称",
    "sku.spec": "规格",
    "sku.barcode": "条码",
    "sku.price": "价格",
    "sku.location": "库位",
    "print_time": "打印时间",
    **PAGE_FIELDS,
}

#: Row fields of the list fields, for `items` element columns.
ITEM_ROW_FIELDS = {
    "title": "商品名称",
    "spec": "规格",
    "sku": "商家编码",
    "quantity": "数量",
    "location": "库位",
    "unit_price": "单价",
    "amount": "金额",
}
PICK_ROW_FIELDS = {
    "carrier": "快递公司",
    "sku": "商家编码",
    "title": "商品名称",
    "spec": "规格",
    "quantity": "数量",
    "location": "库位",
    "orders": "订单数",
}

SCALAR_FIELDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "label": MappingProxyType(LABEL_FIELDS),
        "packing_slip": MappingProxyType(PACKING_SLIP_FIELDS),
        "pick_list": MappingProxyType(PICK_LIST_FIELDS),
        "product_label": MappingProxyType(PRODUCT_LABEL_FIELDS),
    }
)
#: kind → list field → its row fields
LIST_FIELDS: Mapping[str, Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "label": {"items": ITEM_ROW_FIELDS},
        "packing_slip": {"items": ITEM_ROW_FIELDS},
        "pick_list": {"pick_lines": PICK_ROW_FIELDS},
        "product_label": {},
    }
)

#: How `mask: true` masks a field, by the last segment of its path.
MASKERS = {"name": mask_name, "phone": mask_phone, "address": mask_address}


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at `path` (dots walk nested mappings); a missing one names the field."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise ValidationError(f"render data has no field {path!r}", field=path)
        value = value[part]
    return value


def as_text(value: Any) -> str:
    """How a scalar is printed: None is blank, everything else its `str`."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def apply_mask(how: str, value: str) -> str:
    """Mask `value` as a name, phone or address. Already-masked text (it has a `*`, as the
    platform's masked copies do) is left alone, so masking twice never loses more."""
    if not how or not value or "*" in value:
        return value
    return MASKERS[how](value)


def mask_kind_for(path: str) -> str:
    """`receiver.phone` → "phone"; empty when the field's name says nothing about masking."""
    last = path.rsplit(".", 1)[-1]
    return last if last in MASKERS else ""
