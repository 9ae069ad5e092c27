"""`/v1/warehouses`: the org's warehouses (address, contact, the sender its labels print)
and the bins (库位) its SKUs lie in.

Listing needs `stock.view`; adding and changing need `stock.adjust` (audited by core).
Warehouses are named in paths by their name (unique in the org). A sender is province,
city, district and street, all four (name and phone default to the warehouse's
contact); a sender with an empty address removes it, and the carrier account's sender
is printed again.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import msgspec

from api.contract import Call, Operation, Reply
from api.routes.stock import Name
from core.contracts.types import Contact
from core.stock import bins, warehouses
from core.stock.bins import BinInfo
from core.stock.warehouses import WarehouseInfo

Short = Annotated[str, msgspec.Meta(max_length=64)]
Place = Annotated[str, msgspec.Meta(max_length=50)]
Street = Annotated[str, msgspec.Meta(max_length=255)]


class Sender(msgspec.Struct, forbid_unknown_fields=True):
    province: Place = ""
    city: Place = ""
    district: Place = ""
    address: Street = ""  # "" (with the rest empty): no sender of its own
    name: Short = ""  # default: the warehouse's contact
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""


class NewWarehouse(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    contact: Short = ""
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""
    province: Annotated[str, msgspec.Meta(max_length=32)] = ""
    city: Annotated[str, msgspec.Meta(max_length=32)] = ""
    district: Annotated[str, msgspec.Meta(max_length=32)] = ""
    address: Street = ""
    sender: Sender | None = None
    default: bool = False  # the first warehouse is the default anyway


class WarehouseChange(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None  # rename; null or absent: unchanged
    contact: Short | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    province: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    city: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    district: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    address: Street | None = None
    sender: Sender | None = None
    default: bool | None = None  # true: this one becomes the default


class WarehouseList(msgspec.Struct):
    items: list[WarehouseInfo]
    next_cursor: str | None = None


class BinList(msgspec.Struct):
    items: list[BinInfo]
    next_cursor: str | None = None


class BinBody(msgspec.Struct, forbid_unknown_fields=True):
    bin: Annotated[str, msgspec.Meta(max_length=bins.MAX_BIN)]  # "" removes the SKU's bin


def _contact(sender: Sender | None) -> Contact | None:
    if sender is None:
        return None
    return Contact(
        sender.name, sender.phone, sender.province, sender.city, sender.district, sender.address
    )


def _list_warehouses(call: Call) -> WarehouseList:
    assert call.actor is not None
    return WarehouseList(warehouses.list_warehouses(call.app, call.actor))


def _add_warehouse(call: Call) -> Reply:
    body: NewWarehouse = call.body
    assert call.actor is not None
    house = warehouses.add_warehouse(
        call.app,
        call.actor,
        body.name,
        contact=body.contact,
        phone=body.phone,
        province=body.province,
        city=body.city,
        district=body.district,
        address=body.address,
        sender=_contact(body.sender),
        default=body.default,
    )
    return Reply(house, headers={"Location": f"/v1/warehouses/{quote(house.name, safe='')}"})


def _update_warehouse(call: Call) -> WarehouseInfo:
    body: WarehouseChange = call.body
    assert call.actor is not None
    return warehouses.update_warehouse(
        call.app,
        call.actor,
        call.path["name"],
        new_name=body.name,
        contact=body.contact,
        phone=body.phone,
        province=body.province,
        city=body.city,
        district=body.district,
        address=body.address,
        sender=_contact(body.sender),
        default=body.default,
    )


def _list_bins(call: Call) -> BinList:
    assert call.actor is not None
    return BinList(bins.list_bins(call.app, call.actor, warehouse=call.path["name"]))


def _set_bin(call: Call) -> BinInfo:
    body: BinBody = call.body
    assert call.actor is not None
    return bins.set_bin(
        call.app, call.actor, call.path["code"], body.bin, warehouse=call.path["name"]
    )


OPERATIONS = (
    Operation(
        "GET",
        "/v1/warehouses",
        "The org's warehouses in the order they were added, with address and sender",
        _list_warehouses,
        WarehouseList,
        permission="stock.view",
        tags=("warehouses",),
    ),
    Operation(
        "POST",
        "/v1/warehouses",
        "Add a warehouse (the org's first is its default)",
        _add_warehouse,
        WarehouseInfo,
        request=NewWarehouse,
        permission="stock.adjust",
        status=201,
        errors=(409,),
        tags=("warehouses",),
    ),
    Operation(
        "PATCH",
        "/v1/warehouses/{name}",
        "Change a warehouse: rename, address, contact, sender, make it the default",
        _update_warehouse,
        WarehouseInfo,
        request=WarehouseChange,
        permission="stock.adjust",
        errors=(404, 409),
        tags=("warehouses",),
    ),
    Operation(
        "GET",
        "/v1/warehouses/{name}/bins",
        "The bins (库位) set in a warehouse, in the order a picker walks them",
        _list_bins,
        BinList,
        permission="stock.view",
        errors=(404,),
        tags=("warehouses",),
    ),
    Operation(
        "PUT",
        "/v1/warehouses/{name}/bins/{code}",
        "Set the bin SKU `code` lies in ('' removes it)",
        _set_bin,
        BinInfo,
        request=BinBody,
        permission="stock.adjust",
        errors=(404,),
        tags=("warehouses",),
    ),
)
