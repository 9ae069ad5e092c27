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
from core.models.oauth import OAuthState
from core.models.orders import Order, OrderLine
from core.models.shops import Shop, SyncRun

__all__ = [
    "Alert",
    "ApiToken",
    "AuditEvent",
    "Base",
    "OAuthState",
    "Order",
    "OrderLine",
    "Org",
    "Role",
    "RolePermission",
    "Shop",
    "SyncRun",
    "User",
    "UserRole",
    "VerificationCode",
]
