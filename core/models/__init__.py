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

__all__ = [
    "Alert",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Org",
    "Role",
    "RolePermission",
    "User",
    "UserRole",
    "VerificationCode",
]
