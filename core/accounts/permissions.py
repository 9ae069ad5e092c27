"""Permissions and the built-in role templates (管理员, 打单员, 仓库管理员, 财务, 只读).

Permissions are plain strings `area.verb` so plugins and later issues can add their own
without a migration; the ones below are the product's contract with merchants.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationError

PERMISSIONS: dict[str, str] = {
    "order.view": "查看订单 / view orders",
    "order.edit": "编辑订单 / edit orders",
    "order.import": "导入订单 / import orders",
    "order.audit": "审单 / audit orders",
    "print.run": "打单 / print labels",
    "print.reprint": "重打 / reprint labels",
    "ship.confirm": "发货 / confirm shipment",
    "shop.bind": "绑定店铺 / bind shops",
    "shop.unbind": "解绑店铺 / unbind shops",
    "stock.view": "查看库存 / view stock",
    "stock.adjust": "调整库存 / adjust stock",
    "report.view": "查看报表 / view reports",
    "finance.view": "查看财务 / view finance",
    "pii.view": "查看买家明文信息 / view buyer personal data",
    "settings.manage": "系统设置 / manage settings",
    "user.manage": "管理子账号与角色 / manage users and roles",
}


@dataclass(frozen=True)
class RoleTemplate:
    key: str
    name: str
    description: str
    permissions: frozenset[str]


BUILTIN_ROLES: tuple[RoleTemplate, ...] = (
    RoleTemplate("admin", "管理员", "Administrator: every permission", frozenset(PERMISSIONS)),
    RoleTemplate(
        "print_operator",
        "打单员",
        "Print operator: works the order desk and prints",
        frozenset(
            {
                "order.view",
                "order.edit",
                "order.import",
                "order.audit",
                "print.run",
                "ship.confirm",
                "stock.view",
            }
        ),
    ),
    RoleTemplate(
        "warehouse",
        "仓库管理员",
        "Warehouse: stock, packing and shipment",
        frozenset({"order.view", "stock.view", "stock.adjust", "ship.confirm", "print.run"}),
    ),
    RoleTemplate(
        "finance",
        "财务",
        "Finance: amounts and reports",
        frozenset({"order.view", "report.view", "finance.view"}),
    ),
    RoleTemplate(
        "read_only",
        "只读",
        "Read-only: looks, changes nothing",
        frozenset({"order.view", "stock.view", "report.view"}),
    ),
)

BUILTIN_BY_KEY = {t.key: t for t in BUILTIN_ROLES}


def check_known(permission: str) -> str:
    """Return the permission if known; otherwise raise a ValidationError listing the valid ones."""
    if permission not in PERMISSIONS:
        raise ValidationError(
            f"unknown permission {permission!r}; known: {', '.join(sorted(PERMISSIONS))}",
            field="permission",
        )
    return permission
