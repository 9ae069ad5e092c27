"""The core model. Importing this package registers every table on `Base.metadata`."""

from core.models.accounts import (
    ApiToken,
    Org,
    OrgSetting,
    Role,
    RolePermission,
    User,
    UserRole,
    VerificationCode,
)
from core.models.audit import Alert, AuditEvent
from core.models.base import Base
from core.models.desk import AssignmentRule, AuditRuleSet, OrderTag, SavedFilter, Tag
from core.models.idempotency import IdempotencyKey
from core.models.installation import Installation
from core.models.oauth import OAuthState
from core.models.orders import Order, OrderLine, QuarantinedOrder
from core.models.packages import CarrierAccount, Package, PackageLine, Waybill
from core.models.printing import Printer, PrintJob, PrintJobItem, Template, TemplateVersion
from core.models.rates import CarrierRate
from core.models.shipback import ShipmentOutbox
from core.models.shops import Shop, SyncRun
from core.models.stock import (
    PlatformListing,
    RoutingRule,
    Sku,
    SkuBin,
    SkuMapping,
    StockLevel,
    StockMove,
    StockPolicy,
    Warehouse,
)
from core.models.workers import WorkerProcess

__all__ = [
    "Alert",
    "ApiToken",
    "AssignmentRule",
    "AuditEvent",
    "AuditRuleSet",
    "Base",
    "CarrierAccount",
    "CarrierRate",
    "IdempotencyKey",
    "Installation",
    "OAuthState",
    "Order",
    "OrderLine",
    "OrderTag",
    "Org",
    "OrgSetting",
    "Package",
    "PackageLine",
    "PlatformListing",
    "PrintJob",
    "PrintJobItem",
    "Printer",
    "QuarantinedOrder",
    "Role",
    "RolePermission",
    "RoutingRule",
    "SavedFilter",
    "ShipmentOutbox",
    "Shop",
    "Sku",
    "SkuBin",
    "SkuMapping",
    "StockLevel",
    "StockMove",
    "StockPolicy",
    "SyncRun",
    "Tag",
    "Template",
    "TemplateVersion",
    "User",
    "UserRole",
    "VerificationCode",
    "Warehouse",
    "Waybill",
    "WorkerProcess",
]
