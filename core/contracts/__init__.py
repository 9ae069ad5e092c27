"""Plugin contracts: the abstract classes plugins implement and the data they exchange.

Plugins import from here (or the submodules) and from `core.hookspecs`, nothing else of
core's internals. docs/plugins.md documents every class and method; a test keeps it so.
"""

from core.contracts.base import Contract, PluginServices, validate_contract
from core.contracts.carrier import (
    Carrier,
    SortCode,
    Waybill,
    WaybillItem,
    WaybillRef,
    WaybillRequest,
    WaybillResult,
    WaybillSubscription,
)
from core.contracts.import_format import (
    RECEIVER_MASKED_TAG,
    ImportFormat,
    ImportIssue,
    ImportRow,
)
from core.contracts.notifier import Notification, Notifier
from core.contracts.platform import (
    DecryptedValue,
    EncryptedValue,
    LogisticsCompany,
    OrderPage,
    OrderStatusInfo,
    OrderWindow,
    QuantityUpdate,
    SalesPlatform,
    ShipmentConfirmation,
    TokenGrant,
)
from core.contracts.printer import PrinterDriver, PrinterInfo, PrinterState, PrinterStatus
from core.contracts.renderer import RenderedDocument, Renderer, RenderRequest, TemplateSpec
from core.contracts.types import (
    AlertInfo,
    Contact,
    DocumentLanguage,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
    UnreadableOrder,
)

#: Every contract by its `kind`, in the order `orderhub plugins` lists them.
CONTRACTS: dict[str, type[Contract]] = {
    cls.kind: cls
    for cls in (SalesPlatform, Carrier, PrinterDriver, Renderer, Notifier, ImportFormat)
}

__all__ = [
    "CONTRACTS",
    "RECEIVER_MASKED_TAG",
    "AlertInfo",
    "Carrier",
    "Contact",
    "Contract",
    "DecryptedValue",
    "DocumentLanguage",
    "EncryptedValue",
    "ImportFormat",
    "ImportIssue",
    "ImportRow",
    "LogisticsCompany",
    "Notification",
    "Notifier",
    "OrderPage",
    "OrderStatus",
    "OrderStatusInfo",
    "OrderWindow",
    "PlatformOrder",
    "PlatformOrderLine",
    "PluginServices",
    "PrinterDriver",
    "PrinterInfo",
    "PrinterState",
    "PrinterStatus",
    "QuantityUpdate",
    "RefundStatus",
    "RenderRequest",
    "RenderedDocument",
    "Renderer",
    "SalesPlatform",
    "ShipmentConfirmation",
    "SortCode",
    "TemplateSpec",
    "TokenGrant",
    "UnreadableOrder",
    "Waybill",
    "WaybillItem",
    "WaybillRef",
    "WaybillRequest",
    "WaybillResult",
    "WaybillSubscription",
    "validate_contract",
]
