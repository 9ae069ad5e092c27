"""The core model. Importing this package registers every table on `Base.metadata`."""

from core.models.accounts import (
    ApiToken,
    Org,
    Role,
    RolePermission,
    User,
    UserRole,
    VerificationCode,
)
from core.models.audit import Alert, AuditEvent
from core.models.base import Base
from core.models.installation import Installation
from core.models.oauth import OAuthState
from core.models.orders import Order, OrderLine, QuarantinedOrder
from core.models.packages import CarrierAccount, Package, PackageLine, Waybill
from core.models.printing import Printer, PrintJob, PrintJobItem, Template, TemplateVersion
from core.models.shops import Shop, SyncRun

__all__ = [
    "Alert",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CarrierAccount",
    "Installation",
    "OAuthState",
    "Order",
    "OrderLine",
    "Org",
    "Package",
    "PackageLine",
    "PrintJob",
    "PrintJobItem",
    "Printer",
    "QuarantinedOrder",
    "Role",
    "RolePermission",
    "Shop",
    "SyncRun",
    "Template",
    "TemplateVersion",
    "User",
    "UserRole",
    "VerificationCode",
    "Waybill",
]
