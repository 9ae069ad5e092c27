"""A read-only user changes nothing, through any service: every public service function of
core that takes `(app, actor, …)` is called as a user with the built-in 只读 role, against
a full world (a bound shop, orders, packages, waybills, printers, done and crashed print
jobs, roles, users, tokens, templates), and every table's rows must be exactly as before.

New services join the walk by themselves: `test_every_service_is_walked` fails for a
function that is in neither table below, so its author must say how to call it (or why a
read-only user may call it).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import core
from core.accounts import audit, auth, preferences, roles, users
from core.actor import Actor
from core.alertdesk import channels as alert_channels
from core.alertdesk import listing as alert_listing
from core.alertdesk import passes as alert_passes
from core.app import App
from core.assignment import assigning
from core.assignment import service as assignment_rules
from core.auditing import decisions
from core.auditing import engine as audit_engine
from core.auditing import settings as audit_settings
from core.contracts import Contact
from core.desk import (
    edits,
    holds,
    manual,
    packing,
    rerouting,
    saved_filters,
    search,
    selection,
    show,
    tags,
)
from core.errors import OrderhubError, PermissionDenied
from core.exports import orders as export_orders
from core.exports import prints as export_prints
from core.exports import shipments as export_shipments
from core.importing import service as importing
from core.models import Order, PrintJobItem
from core.models.base import Base
from core.orders import merging, packages, quarantine_review, splitting
from core.printing import (
    history,
    preview,
    printer_tools,
    printers,
    reprint,
    runner,
    template_store,
    watch,
)
from core.printing.jobs import create_job, create_print_job, reprint_job
from core.reports import carriers as report_carriers
from core.reports import catalog as report_catalog
from core.reports import exceptions as report_exceptions
from core.reports import handling as report_handling
from core.reports import orders as report_orders
from core.reports import prints as report_prints
from core.reports import rates as report_rates
from core.reports import stock as report_stock
from core.reports.period import period as report_period
from core.shipback import confirm as ship_confirm
from core.shipback import drain as ship_drain
from core.shipback import overview as ship_overview
from core.shipback import review as ship_review
from core.shipping import intercepted, pack_station, tracking, tracking_file, tracking_scan
from core.shipping import settings as shipping_settings
from core.shops import binding
from core.stock import bins as stock_bins
from core.stock import catalogue as stock_catalogue
from core.stock import history as stock_history
from core.stock import levels as stock_levels
from core.stock import mapping as stock_mapping
from core.stock import mapping_file as stock_mapping_file
from core.stock import operations as stock_operations
from core.stock import policies as stock_policies
from core.stock import replenishment as stock_replenishment
from core.stock import routing_rules
from core.stock import warehouses as stock_warehouses
from core.stock.bins_file import import_bins
from core.stock.catalogue_file import export_catalogue, import_catalogue
from core.stock.operations import Line as StockLine
from core.stockpush import passes as stock_push
from core.stockpush import settings as stock_push_settings
from core.sync import log as sync_log
from core.sync import scheduler
from core.waybills import account_edits, allocation, by_reference, carrier_accounts, query
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.printing.rig import PrintRig
from tests.waybills.rig import REDIRECT_URI, open_rig, serve_sandbox

SANDBOX = SandboxConfig(orders=40, history_days=1.0, rate_limits=False, waybill_quantity=500)
CSV = (
    "订单号,商品,数量,单价(元),收货人,手机,省,市,区,详细地址,支付时间\n"
    "W-1,杯子,1,9.90,张三,13800138000,广东省,深圳市,南山区,科技路1号,2026-11-20 10:00\n"
)

#: Calls a signed-in user may make whatever their role: they act on their own account only.
SELF_SERVICE = {
    "accounts.auth.logout": "ends the caller's own session",
    "accounts.auth.start_totp": "enrols the caller's own second factor",
    "accounts.auth.confirm_totp": "confirms the caller's own second factor",
    "accounts.users.change_password": "changes the caller's own password, knowing the old one",
    "desk.saved_filters.save_filter": "saves the caller's own filter (常用筛选)",
    "desk.saved_filters.rename_filter": "renames the caller's own filter",
    "desk.saved_filters.set_shared": "shares or unshares the caller's own filter",
    "desk.saved_filters.delete_filter": "deletes the caller's own filter; another user's "
    "shared one needs settings.manage (tests/desk/test_saved_filters.py)",
}
#: Functions with `(app, actor, …)` that are steps of a service, not entry points: front
#: ends never call them, and the entry point has checked the permission before.
INTERNAL = {
    "exports.scope.write": "the last step of every exports service (which checked first)",
    "printing.job_waybills.prepare": "a step of printing.jobs.create_job",
    "printing.job_waybills.refresh_print_data": "a step of printing.jobs.create_job",
    "waybills.batches.run": "a step of waybills.allocation.allocate",
    "waybills.cancel.cancel": "the steps behind waybills.allocation.cancel",
    "waybills.compensation.compensate": "a step of waybills.batches.run",
    "idempotency.service.begin": "a step around every idempotent API operation "
    "(api/idempotency.py), whose own service checks the permission; a refused request's "
    "key is freed at once (tests/api/test_print_jobs.py)",
    "idempotency.service.finish": "the step after an idempotent API operation succeeded",
    "idempotency.service.abandon": "the step after an idempotent API operation failed",
}


@dataclass
class World:
    app: App
    rig: PrintRig
    viewer: Actor
    shop_id: int
    account: str
    order_ids: list[int]
    order_numbers: list[str]
    package_ids: list[int]
    waybill_ids: list[int]
    waybill_number: str
    done_job: int
    crashed_job: int
    token_id: int


def _calls() -> dict[str, Callable[[World], Any]]:
    """How the walk calls each service as the read-only user (arguments an admin would
    use, so a missing check shows up as a change)."""
    contact = Contact(
        name="李四", phone="13900139000", province="", city="", district="", address=""
    )
    return {
        "accounts.audit.list_events": lambda w: audit.list_events(w.app, w.viewer),
        "accounts.audit.audit_page": lambda w: audit.audit_page(w.app, w.viewer),
        "accounts.auth.create_api_token": lambda w: auth.create_api_token(
            w.app, w.viewer, "sneaky", username="boss"
        ),
        "accounts.auth.list_tokens": lambda w: auth.list_tokens(w.app, w.viewer),
        "accounts.auth.revoke_token": lambda w: auth.revoke_token(w.app, w.viewer, w.token_id),
        "accounts.auth.disable_totp": lambda w: auth.disable_totp(w.app, w.viewer, "boss"),
        "accounts.roles.list_roles": lambda w: roles.list_roles(w.app, w.viewer),
        "accounts.roles.create_role": lambda w: roles.create_role(
            w.app, w.viewer, "mine", ("user.manage",)
        ),
        "accounts.roles.grant": lambda w: roles.grant(w.app, w.viewer, "只读", "user.manage"),
        "accounts.roles.revoke": lambda w: roles.revoke(w.app, w.viewer, "管理员", "user.manage"),
        "accounts.roles.delete_role": lambda w: roles.delete_role(w.app, w.viewer, "packer"),
        "accounts.roles.assign": lambda w: roles.assign(w.app, w.viewer, "viewer", "管理员"),
        "accounts.roles.unassign": lambda w: roles.unassign(w.app, w.viewer, "boss", "管理员"),
        "accounts.users.add_user": lambda w: users.add_user(
            w.app, w.viewer, "mole", "Correct-Horse-9", roles=("管理员",)
        ),
        "accounts.users.list_users": lambda w: users.list_users(w.app, w.viewer),
        # Their own language is theirs to set (tests/test_preferences.py); another's is not.
        "accounts.preferences.set_language": lambda w: preferences.set_language(
            w.app, w.viewer, "en", username="boss"
        ),
        "accounts.preferences.language_of": lambda w: preferences.language_of(w.app, w.viewer),
        "stock.catalogue.add_sku": lambda w: stock_catalogue.add_sku(w.app, w.viewer, "NEW"),
        "stock.catalogue.update_sku": lambda w: stock_catalogue.update_sku(
            w.app, w.viewer, "LID", name="x"
        ),
        "stock.catalogue.list_skus": lambda w: stock_catalogue.list_skus(w.app, w.viewer),
        "stock.catalogue.count_skus": lambda w: stock_catalogue.count_skus(w.app, w.viewer),
        "stock.catalogue_file.import_catalogue": lambda w: import_catalogue(
            w.app, w.viewer, io.BytesIO("编码,名称\nNEW,新\n".encode()), "x.csv"
        ),
        "stock.catalogue_file.export_catalogue": lambda w: export_catalogue(
            w.app, w.viewer, io.BytesIO(), "xlsx"
        ),
        "stock.mapping_file.import_mappings": lambda w: stock_mapping_file.import_mappings(
            w.app, w.viewer, io.BytesIO("平台SKU ID,商家编码\nsku-x,LID\n".encode()), "x.csv"
        ),
        "stock.mapping_file.export_mappings": lambda w: stock_mapping_file.export_mappings(
            w.app, w.viewer, io.BytesIO(), "csv"
        ),
        "stock.warehouses.add_warehouse": lambda w: stock_warehouses.add_warehouse(
            w.app, w.viewer, "偷偷仓"
        ),
        "stock.warehouses.list_warehouses": lambda w: stock_warehouses.list_warehouses(
            w.app, w.viewer
        ),
        "stock.operations.receive": lambda w: stock_operations.receive(
            w.app, w.viewer, [StockLine("LID", 5)]
        ),
        "stock.operations.count": lambda w: stock_operations.count(
            w.app, w.viewer, [StockLine("LID", 0)]
        ),
        "stock.operations.transfer": lambda w: stock_operations.transfer(
            w.app, w.viewer, [StockLine("LID", 1)], source="主仓", destination="北仓"
        ),
        "stock.levels.list_levels": lambda w: stock_levels.list_levels(w.app, w.viewer),
        "stock.levels.count_levels": lambda w: stock_levels.count_levels(w.app, w.viewer),
        "stock.mapping.map_platform_sku": lambda w: stock_mapping.map_platform_sku(
            w.app, w.viewer, "pinduoduo", "sku-x", [stock_mapping.Part("LID")]
        ),
        "stock.mapping.unmap_platform_sku": lambda w: stock_mapping.unmap_platform_sku(
            w.app, w.viewer, "pinduoduo", "sku-lid"
        ),
        "stock.mapping.list_mappings": lambda w: stock_mapping.list_mappings(w.app, w.viewer),
        "stock.mapping.unmapped": lambda w: stock_mapping.unmapped(w.app, w.viewer),
        "stock.levels.verify": lambda w: stock_levels.verify(w.app, w.viewer),
        "stock.history.list_moves": lambda w: stock_history.list_moves(w.app, w.viewer),
        "stock.warehouses.update_warehouse": lambda w: stock_warehouses.update_warehouse(
            w.app, w.viewer, "主仓", contact="偷偷"
        ),
        "stock.bins.set_bin": lambda w: stock_bins.set_bin(w.app, w.viewer, "LID", "Z-9"),
        "stock.bins.list_bins": lambda w: stock_bins.list_bins(w.app, w.viewer),
        "stock.bins_file.import_bins": lambda w: import_bins(
            w.app, w.viewer, io.BytesIO("编码,库位\nLID,Z-9\n".encode()), "x.csv"
        ),
        "stock.routing_rules.add_rule": lambda w: routing_rules.add_rule(
            w.app, w.viewer, "偷偷", ["北仓"]
        ),
        "stock.routing_rules.list_rules": lambda w: routing_rules.list_rules(w.app, w.viewer),
        "stock.routing_rules.remove_rule": lambda w: routing_rules.remove_rule(
            w.app, w.viewer, "北方"
        ),
        "desk.rerouting.route_orders": lambda w: rerouting.route_orders(
            w.app, w.viewer, [_number(w)], "北仓"
        ),
        # Receivers in clear need pii.view: a missing check would write the audit event.
        "exports.orders.export_orders": lambda w: export_orders.export_orders(
            w.app, w.viewer, io.BytesIO(), "xlsx", query="hold:no", reveal=True
        ),
        "exports.shipments.export_packages": lambda w: export_shipments.export_packages(
            w.app, w.viewer, io.BytesIO(), "csv"
        ),
        "exports.shipments.export_waybills": lambda w: export_shipments.export_waybills(
            w.app, w.viewer, io.BytesIO(), "csv", reveal=True
        ),
        "exports.prints.export_prints": lambda w: export_prints.export_prints(
            w.app, w.viewer, io.BytesIO(), "xlsx"
        ),
        "stock.policies.set_threshold": lambda w: stock_policies.set_threshold(
            w.app, w.viewer, "LID", 50
        ),
        "stock.policies.clear_threshold": lambda w: stock_policies.clear_threshold(
            w.app, w.viewer, "LID"
        ),
        "stock.policies.set_plan": lambda w: stock_policies.set_plan(
            w.app, w.viewer, "LID", lead_time_days=30, safety_stock=100
        ),
        "stock.policies.list_policies": lambda w: stock_policies.list_policies(w.app, w.viewer),
        "stock.replenishment.replenishment": lambda w: stock_replenishment.replenishment(
            w.app, w.viewer
        ),
        "stockpush.settings.show_push_settings": lambda w: stock_push_settings.show_push_settings(
            w.app, w.viewer
        ),
        "stockpush.settings.update_push_settings": lambda w: (
            stock_push_settings.update_push_settings(w.app, w.viewer, enabled=True)
        ),
        "stockpush.passes.push_now": lambda w: stock_push.push_now(
            w.app, w.viewer, everything=True
        ),
        "reports.catalog.run_report": lambda w: report_catalog.run_report(
            w.app, w.viewer, "orders", "2026-11-01", "2026-11-30", by="shop"
        ),
        "reports.orders.orders_report": lambda w: report_orders.orders_report(
            w.app, w.viewer, _period()
        ),
        "reports.orders.shipped_report": lambda w: report_orders.shipped_report(
            w.app, w.viewer, _period()
        ),
        "reports.orders.overdue_report": lambda w: report_orders.overdue_report(
            w.app, w.viewer, _period()
        ),
        "reports.exceptions.exceptions_report": lambda w: report_exceptions.exceptions_report(
            w.app, w.viewer, _period()
        ),
        "reports.carriers.carrier_share_report": lambda w: report_carriers.carrier_share_report(
            w.app, w.viewer, _period()
        ),
        "reports.carriers.shipping_cost_report": lambda w: report_carriers.shipping_cost_report(
            w.app, w.viewer, _period()
        ),
        "reports.handling.handling_report": lambda w: report_handling.handling_report(
            w.app, w.viewer, _period()
        ),
        "reports.prints.prints_report": lambda w: report_prints.prints_report(
            w.app, w.viewer, _period()
        ),
        "reports.stock.stock_value_report": lambda w: report_stock.stock_value_report(
            w.app, w.viewer, _period()
        ),
        "reports.stock.slow_movers_report": lambda w: report_stock.slow_movers_report(
            w.app, w.viewer, _period()
        ),
        "reports.rates.list_rates": lambda w: report_rates.list_rates(w.app, w.viewer),
        "reports.rates.set_rate": lambda w: report_rates.set_rate(
            w.app, w.viewer, w.account, first_fen=1, step_fen=1
        ),
        "reports.rates.delete_rate": lambda w: report_rates.delete_rate(w.app, w.viewer, w.account),
        "reports.rates.import_rates": lambda w: report_rates.import_rates(
            w.app,
            w.viewer,
            io.BytesIO(
                f"快递账号,首重(克),首重价格(元),续重(克),续重价格(元)\n{w.account},1000,3,1000,1\n".encode()
            ),
            "rates.csv",
        ),
        "accounts.users.set_user_enabled": lambda w: users.set_user_enabled(
            w.app, w.viewer, "boss", False
        ),
        "accounts.users.admin_reset_password": lambda w: users.admin_reset_password(
            w.app, w.viewer, "boss", "Another-Good-Pass-7"
        ),
        "accounts.users.unlock_user": lambda w: users.unlock_user(w.app, w.viewer, "boss"),
        "desk.edits.edit_receiver": lambda w: edits.edit_receiver(
            w.app, w.viewer, _number(w), phone="13900139000"
        ),
        "desk.edits.set_remark": lambda w: edits.set_remark(w.app, w.viewer, _number(w), "x"),
        "desk.edits.set_flag": lambda w: edits.set_flag(w.app, w.viewer, _number(w), "red"),
        "desk.holds.hold_orders": lambda w: holds.hold_orders(
            w.app, w.viewer, [_number(w)], reason="x"
        ),
        "desk.holds.release_orders": lambda w: holds.release_orders(w.app, w.viewer, [_number(w)]),
        "desk.manual.create_manual_order": lambda w: manual.create_manual_order(
            w.app,
            w.viewer,
            w.shop_id,
            name="李四",
            phone="13900139000",
            province="广东省",
            city="深圳市",
            district="南山区",
            address="科技路1号",
            lines=[manual.ManualLine("杯子", "", 1, "9.90")],
        ),
        "desk.tags.list_tags": lambda w: tags.list_tags(w.app, w.viewer),
        "desk.tags.create_tag": lambda w: tags.create_tag(w.app, w.viewer, "紧急", "red"),
        "desk.tags.rename_tag": lambda w: tags.rename_tag(w.app, w.viewer, "紧急", "x"),
        "desk.tags.recolour_tag": lambda w: tags.recolour_tag(w.app, w.viewer, "紧急", "blue"),
        "desk.tags.delete_tag": lambda w: tags.delete_tag(w.app, w.viewer, "紧急"),
        "desk.tags.tag_orders": lambda w: tags.tag_orders(
            w.app, w.viewer, [_number(w)], add=["紧急"]
        ),
        "desk.search.search_orders": lambda w: search.search_orders(w.app, w.viewer, "hold:no"),
        "desk.search.count_tabs": lambda w: search.count_tabs(w.app, w.viewer),
        "desk.search.matching_numbers": lambda w: search.matching_numbers(
            w.app, w.viewer, "hold:no", most=100
        ),
        "desk.selection.selected_numbers": lambda w: selection.selected_numbers(
            w.app, w.viewer, query="hold:no"
        ),
        "desk.show.order_packages": lambda w: show.order_packages(
            w.app, w.viewer, w.order_numbers[0]
        ),
        "desk.show.show_order": lambda w: show.show_order(
            w.app, w.viewer, w.order_numbers[0], reveal=True
        ),
        "desk.saved_filters.list_filters": lambda w: saved_filters.list_filters(w.app, w.viewer),
        "desk.saved_filters.filter_query": lambda w: saved_filters.filter_query(
            w.app, w.viewer, "boss/mine"
        ),
        "auditing.decisions.approve": lambda w: decisions.approve(w.app, w.viewer, ["X-1"]),
        "auditing.decisions.reject": lambda w: decisions.reject(w.app, w.viewer, ["X-1"], "no"),
        "auditing.decisions.recheck": lambda w: decisions.recheck(w.app, w.viewer, pending=True),
        "auditing.engine.run_pass": lambda w: audit_engine.run_pass(w.app, w.viewer),
        "auditing.settings.show": lambda w: audit_settings.show(w.app, w.viewer),
        "auditing.settings.update": lambda w: audit_settings.update(
            w.app, w.viewer, {"auto_approve": False}
        ),
        "importing.service.import_orders": lambda w: importing.import_orders(
            w.app, w.viewer, w.shop_id, io.BytesIO(CSV.encode()), filename="orders.csv"
        ),
        "assignment.assigning.apply_rules": lambda w: assigning.apply_rules(w.app, w.viewer),
        "assignment.assigning.set_assignment": lambda w: assigning.set_assignment(
            w.app, w.viewer, _numbers(w)[:1], w.account, None
        ),
        "assignment.assigning.clear_assignment": lambda w: assigning.clear_assignment(
            w.app, w.viewer, _numbers(w)[:1]
        ),
        "assignment.service.list_rules": lambda w: assignment_rules.list_rules(w.app, w.viewer),
        "assignment.service.add_rule": lambda w: assignment_rules.add_rule(
            w.app, w.viewer, "rogue", carrier_account=w.account
        ),
        "assignment.service.update_rule": lambda w: assignment_rules.update_rule(
            w.app, w.viewer, "rogue", enabled=False
        ),
        "assignment.service.move_rule": lambda w: assignment_rules.move_rule(
            w.app, w.viewer, "rogue", 1
        ),
        "assignment.service.remove_rule": lambda w: assignment_rules.remove_rule(
            w.app, w.viewer, "rogue"
        ),
        "orders.merging.merge_candidates": lambda w: merging.merge_candidates(w.app, w.viewer),
        "orders.merging.merge": lambda w: merging.merge(w.app, w.viewer, _numbers(w)[:2]),
        "alertdesk.listing.list_alerts": lambda w: alert_listing.list_alerts(w.app, w.viewer),
        "alertdesk.listing.ack_alerts": lambda w: alert_listing.ack_alerts(w.app, w.viewer, [1]),
        "alertdesk.listing.alerts_page": lambda w: alert_listing.alerts_page(w.app, w.viewer),
        "alertdesk.listing.ack_alert": lambda w: alert_listing.ack_alert(w.app, w.viewer, 1),
        "alertdesk.listing.ack_kind": lambda w: alert_listing.ack_kind(
            w.app, w.viewer, "sync.failing"
        ),
        "alertdesk.passes.run_now": lambda w: alert_passes.run_now(w.app, w.viewer),
        "orders.quarantine_review.list_quarantined": lambda w: quarantine_review.list_quarantined(
            w.app, w.viewer
        ),
        "orders.quarantine_review.discard_quarantined": lambda w: (
            quarantine_review.discard_quarantined(w.app, w.viewer, w.shop_id, "X-1", reason="x")
        ),
        "desk.packing.merge": lambda w: packing.merge(w.app, w.viewer, _numbers(w)[:2]),
        "desk.packing.split": lambda w: packing.split(w.app, w.viewer, _numbers(w)[0], [{1: 1}]),
        "desk.packing.unmerge": lambda w: packing.unmerge(
            w.app, w.viewer, package_id=w.package_ids[0]
        ),
        "desk.packing.set_weight": lambda w: packing.set_weight(
            w.app, w.viewer, 100, package_id=w.package_ids[0]
        ),
        "orders.splitting.split": lambda w: splitting.split(
            w.app, w.viewer, _numbers(w)[0], [{1: 1}]
        ),
        "orders.splitting.unmerge": lambda w: splitting.unmerge(
            w.app, w.viewer, package_id=w.package_ids[0]
        ),
        "orders.splitting.set_weight": lambda w: splitting.set_weight(
            w.app, w.viewer, 100, package_id=w.package_ids[0]
        ),
        "orders.packages.ensure_packages": lambda w: packages.ensure_packages(
            w.app, w.viewer, w.order_ids
        ),
        "orders.packages.packages_for_orders": lambda w: packages.packages_for_orders(
            w.app, w.viewer, []
        ),
        "orders.packages.get_package": lambda w: packages.get_package(
            w.app, w.viewer, w.package_ids[0]
        ),
        "printing.history.print_history": lambda w: history.print_history(w.app, w.viewer),
        "printing.history.list_jobs": lambda w: history.list_jobs(w.app, w.viewer),
        "printing.history.get_job": lambda w: history.get_job(w.app, w.viewer, w.done_job),
        "printing.history.job_items": lambda w: history.job_items(w.app, w.viewer, w.done_job),
        "printing.history.job_detail": lambda w: history.job_detail(w.app, w.viewer, w.done_job),
        "printing.watch.watch_job": lambda w: next(watch.watch_job(w.app, w.viewer, w.done_job)),
        "printing.jobs.create_print_job": lambda w: create_print_job(
            w.app, w.viewer, ["pdf"], orders=[_number(w)]
        ),
        "printing.jobs.reprint_job": lambda w: reprint_job(w.app, w.viewer, w.done_job, "again"),
        "printing.runner.resume_job": lambda w: runner.resume_job(w.app, w.viewer, w.crashed_job),
        "printing.printers.remove_printer": lambda w: printers.remove_printer(
            w.app, w.viewer, "pdf"
        ),
        "printing.template_store.show_template": lambda w: template_store.show_template(
            w.app, w.viewer, "label-text-76x130"
        ),
        "printing.preview.preview_named": lambda w: preview.preview_named(
            w.app, w.viewer, "label-76x130"
        ),
        "waybills.carrier_accounts.list_carriers": lambda w: carrier_accounts.list_carriers(
            w.app, w.viewer
        ),
        "waybills.by_reference.allocate_for": lambda w: by_reference.allocate_for(
            w.app, w.viewer, w.account, orders=w.order_numbers[2:]
        ),
        "waybills.by_reference.cancel_numbers": lambda w: by_reference.cancel_numbers(
            w.app, w.viewer, [w.waybill_number]
        ),
        "printing.jobs.create_job": lambda w: create_job(
            w.app, w.viewer, w.order_ids[:1], ["pdf"], reprint=True, reason="again"
        ),
        "printing.preview.preview": lambda w: preview.preview(
            w.app, w.viewer, order_number=_number(w)
        ),
        "printing.printer_tools.discover": lambda w: printer_tools.discover(
            w.app, w.viewer, "file"
        ),
        "printing.printer_tools.print_test_page": lambda w: printer_tools.print_test_page(
            w.app, w.viewer, "pdf"
        ),
        "printing.printers.add_printer": lambda w: printers.add_printer(
            w.app, w.viewer, name="rogue", driver="file", settings={"folder": "/tmp"}
        ),
        "printing.printers.update_printer": lambda w: printers.update_printer(
            w.app, w.viewer, "pdf", enabled=False
        ),
        "printing.printers.calibrate": lambda w: printers.calibrate(
            w.app, w.viewer, "pdf", 1.0, 1.0
        ),
        "printing.printers.list_printers": lambda w: printers.list_printers(w.app, w.viewer),
        "printing.preview.preview_test_page": lambda w: preview.preview_test_page(
            w.app, w.viewer, "pdf", offset_x_mm=1.0
        ),
        "printing.preview.preview_template": lambda w: preview.preview_template(
            w.app, w.viewer, {"name": "label-76x130"}
        ),
        "sync.log.recent_runs": lambda w: sync_log.recent_runs(w.app, w.viewer),
        "sync.log.running_passes": lambda w: sync_log.running_passes(w.app, w.viewer),
        "sync.log.runs_page": lambda w: sync_log.runs_page(w.app, w.viewer),
        "waybills.account_edits.update_account": lambda w: account_edits.update_account(
            w.app, w.viewer, w.account, enabled=False
        ),
        "alertdesk.channels.list_channels": lambda w: alert_channels.list_channels(w.app, w.viewer),
        "alertdesk.channels.send_test": lambda w: alert_channels.send_test(w.app, w.viewer, "log"),
        "printing.printers.get_printer": lambda w: printers.get_printer(w.app, w.viewer, "pdf"),
        "printing.reprint.resolve_uncertain": lambda w: reprint.resolve_uncertain(
            w.app, w.viewer, w.crashed_job, "skip"
        ),
        "printing.runner.run_job": lambda w: runner.run_job(w.app, w.viewer, w.crashed_job),
        "printing.runner.pause_job": lambda w: runner.pause_job(w.app, w.viewer, w.crashed_job),
        "printing.runner.cancel_job": lambda w: runner.cancel_job(w.app, w.viewer, w.crashed_job),
        "printing.runner.settle_crashed": lambda w: runner.settle_crashed(
            w.app, w.viewer, w.crashed_job
        ),
        "printing.template_store.import_template": lambda w: template_store.import_template(
            w.app,
            w.viewer,
            template_store.export_template(w.app, w.rig.org.admin, "label-text-76x130"),
            name="mine",
        ),
        "printing.template_store.export_template": lambda w: template_store.export_template(
            w.app, w.viewer, "label-text-76x130"
        ),
        "printing.template_store.list_templates": lambda w: template_store.list_templates(
            w.app, w.viewer
        ),
        "printing.template_store.versions": lambda w: template_store.versions(
            w.app, w.viewer, "label-text-76x130"
        ),
        "shops.binding.start_authorization": lambda w: binding.start_authorization(
            w.app, w.viewer, "pinduoduo", REDIRECT_URI
        ),
        "shops.binding.list_shops": lambda w: binding.list_shops(w.app, w.viewer),
        "shops.binding.get_shop": lambda w: binding.get_shop(w.app, w.viewer, w.shop_id),
        "shops.binding.update_sync_settings": lambda w: binding.update_sync_settings(
            w.app, w.viewer, w.shop_id, interval_minutes=5, enabled=False
        ),
        "shops.binding.unbind_shop": lambda w: binding.unbind_shop(w.app, w.viewer, w.shop_id),
        "sync.scheduler.sync_shop": lambda w: scheduler.sync_shop(w.app, w.viewer, w.shop_id),
        "sync.scheduler.request_sync": lambda w: scheduler.request_sync(w.app, w.viewer, w.shop_id),
        "shipback.confirm.confirm_packages": lambda w: ship_confirm.confirm_packages(
            w.app, w.viewer, package_ids=w.package_ids
        ),
        "shipback.confirm.confirm_ready": lambda w: ship_confirm.confirm_ready(
            w.app, w.viewer, status="printed"
        ),
        "shipback.drain.drain_now": lambda w: ship_drain.drain_now(w.app, w.viewer),
        "shipback.review.outbox_status": lambda w: ship_review.outbox_status(w.app, w.viewer),
        "shipback.overview.ready_counts": lambda w: ship_overview.ready_counts(w.app, w.viewer),
        "shipback.overview.failure_classes": lambda w: ship_overview.failure_classes(
            w.app, w.viewer
        ),
        "shipping.intercepted.intercepted_packages": lambda w: intercepted.intercepted_packages(
            w.app, w.viewer
        ),
        "shipping.intercepted.recycle_waybills": lambda w: intercepted.recycle_waybills(
            w.app, w.viewer, w.package_ids[:1]
        ),
        "shipback.review.retry": lambda w: ship_review.retry(w.app, w.viewer, [_number(w)]),
        "shipback.review.retry_row": lambda w: ship_review.retry_row(w.app, w.viewer, 1),
        "shipback.review.outbox_page": lambda w: ship_review.outbox_page(w.app, w.viewer),
        "shipback.review.mark_shipped_outside": lambda w: ship_review.mark_shipped_outside(
            w.app, w.viewer, [_number(w)]
        ),
        "waybills.allocation.allocate": lambda w: allocation.allocate(
            w.app, w.viewer, w.package_ids[2:], w.account
        ),
        "waybills.allocation.reallocate": lambda w: allocation.reallocate(
            w.app, w.viewer, w.package_ids[:1], w.account, reason="again"
        ),
        "waybills.allocation.cancel": lambda w: allocation.cancel(
            w.app, w.viewer, w.waybill_ids, "wrong"
        ),
        "waybills.carrier_accounts.list_accounts": lambda w: carrier_accounts.list_accounts(
            w.app, w.viewer
        ),
        "waybills.carrier_accounts.get_account": lambda w: carrier_accounts.get_account(
            w.app, w.viewer, w.account
        ),
        "waybills.carrier_accounts.subscriptions": lambda w: carrier_accounts.subscriptions(
            w.app, w.viewer, shop_id=w.shop_id
        ),
        "waybills.carrier_accounts.create_account": lambda w: carrier_accounts.create_account(
            w.app,
            w.viewer,
            name="rogue",
            carrier="pinduoduo-waybill",
            wp_code="ZTO",
            sender=contact,
            shop_id=w.shop_id,
        ),
        "waybills.query.list_waybills": lambda w: query.list_waybills(w.app, w.viewer),
        "waybills.query.waybill_ids_by_number": lambda w: query.waybill_ids_by_number(
            w.app, w.viewer, [w.waybill_number]
        ),
        "waybills.query.reprint_data": lambda w: query.reprint_data(w.app, w.viewer, w.waybill_ids),
        "shipping.tracking.set_tracking_number": lambda w: tracking.set_tracking_number(
            w.app, w.viewer, "YT1000000000009", w.account, package_id=w.package_ids[2]
        ),
        "shipping.tracking_file.import_tracking": lambda w: tracking_file.import_tracking(
            w.app,
            w.viewer,
            io.BytesIO(f"包裹号,快递账号,快递单号\n{w.package_ids[2]},{w.account},YT1\n".encode()),
            filename="numbers.csv",
        ),
        "shipping.tracking_scan.open_tracking_scanner": lambda w: (
            tracking_scan.open_tracking_scanner(w.app, w.viewer, w.account)
        ),
        "shipping.pack_station.open_station": lambda w: pack_station.open_station(w.app, w.viewer),
        "shipping.pack_station.scan_once": lambda w: pack_station.scan_once(
            w.app, w.viewer, w.waybill_number
        ),
        "shipping.settings.show_settings": lambda w: shipping_settings.show_settings(
            w.app, w.viewer
        ),
        "shipping.settings.update_settings": lambda w: shipping_settings.update_settings(
            w.app, w.viewer, require_verification=True
        ),
    }


def _period():  # type: ignore[no-untyped-def]
    return report_period("2026-11-01", "2026-11-30")


def _numbers(w: World) -> list[str]:
    with w.app.tx() as session:
        found = dict(session.execute(select(Order.id, Order.platform_order_no)).all())
    return [found[i] for i in w.order_ids]


#: The read-only role may read these; every other walked call must be refused.
READS = {
    "stock.catalogue_file.export_catalogue",
    "stock.mapping_file.export_mappings",
    "exports.orders.export_orders",
    "exports.shipments.export_packages",
    "exports.shipments.export_waybills",
    "exports.prints.export_prints",
    "stock.catalogue.list_skus",
    "stock.catalogue.count_skus",
    "stock.levels.count_levels",
    "stock.warehouses.list_warehouses",
    "stock.levels.list_levels",
    "stock.mapping.list_mappings",
    "stock.mapping.unmapped",
    "stock.levels.verify",
    "stock.history.list_moves",
    "stock.bins.list_bins",
    "stock.routing_rules.list_rules",
    "stock.policies.list_policies",
    "stock.replenishment.replenishment",
    "stockpush.settings.show_push_settings",
    "reports.catalog.run_report",
    "reports.orders.orders_report",
    "reports.orders.shipped_report",
    "reports.orders.overdue_report",
    "reports.exceptions.exceptions_report",
    "reports.carriers.carrier_share_report",
    "reports.carriers.shipping_cost_report",
    "reports.handling.handling_report",
    "reports.prints.prints_report",
    "reports.stock.stock_value_report",
    "reports.stock.slow_movers_report",
    "reports.rates.list_rates",  # a read; refused anyway (rates are money: finance.view)
    "accounts.preferences.language_of",
    "alertdesk.listing.list_alerts",
    "alertdesk.listing.alerts_page",
    "assignment.service.list_rules",
    "shipback.review.outbox_status",
    "shipback.review.outbox_page",
    "shipback.overview.ready_counts",
    "shipback.overview.failure_classes",
    "shipping.intercepted.intercepted_packages",
    "orders.merging.merge_candidates",
    "orders.quarantine_review.list_quarantined",
    "auditing.settings.show",
    "accounts.auth.list_tokens",
    "desk.tags.list_tags",
    "accounts.roles.list_roles",
    "desk.search.search_orders",
    "desk.search.count_tabs",
    "desk.search.matching_numbers",
    "desk.selection.selected_numbers",
    "desk.show.order_packages",
    "desk.saved_filters.list_filters",
    "desk.saved_filters.filter_query",
    "orders.packages.packages_for_orders",
    "orders.packages.get_package",
    "printing.history.print_history",
    "printing.history.list_jobs",
    "printing.history.get_job",
    "printing.history.job_items",
    "printing.history.job_detail",
    "printing.watch.watch_job",
    "shops.binding.list_shops",
    "shops.binding.get_shop",
    "waybills.query.list_waybills",
    "waybills.query.waybill_ids_by_number",
    "shipping.settings.show_settings",
    "sync.log.recent_runs",
    "sync.log.running_passes",
    "sync.log.runs_page",
}


def _number(world: World) -> str:
    """The platform number of the world's first order."""
    with world.app.tx() as session:
        return session.get(Order, world.order_ids[0]).platform_order_no


def service_functions() -> Iterator[str]:
    """Every public function of core whose first parameters are `(app, actor)`."""
    for info in pkgutil.walk_packages(core.__path__, "core."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ != module.__name__:
                continue
            params = list(inspect.signature(obj).parameters)
            if params[:2] == ["app", "actor"]:
                yield f"{module.__name__.removeprefix('core.')}.{name}"


def test_every_service_is_walked() -> None:
    walked = set(_calls())
    found = set(service_functions())
    unaccounted = found - walked - set(SELF_SERVICE) - set(INTERNAL)
    assert not unaccounted, f"add these services to the read-only walk: {sorted(unaccounted)}"
    stale = (walked | set(SELF_SERVICE) | set(INTERNAL)) - found
    assert not stale, f"no such service any more: {sorted(stale)}"


def snapshot(app: App) -> dict[str, str]:
    """Each table's rows, in key order, as one digest (row count included)."""
    digests = {}
    with app.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return digests


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def world(
    settings: Any, sandbox_server: SandboxServer, acme: OrgFixture, tmp_path: Path
) -> Iterator[World]:
    for rig in open_rig(PrintRig, settings, sandbox_server, acme):
        app, admin = rig.app, acme.admin
        shop_id = rig.bind()
        account = rig.account("YTO").name
        order_ids = rig.load_orders(count=4)
        packed = packages.ensure_packages(app, admin, order_ids)
        package_ids = [packed.package_of_order[o] for o in order_ids]
        allocation.allocate(app, admin, package_ids[:2], account)
        rig.text_template()
        rig.printer("pdf", "file", "pdf", settings={"folder": str(tmp_path / "labels")})
        done = create_job(app, admin, order_ids[:2], ["pdf"], carrier_account=account).job_id
        runner.run_job(app, admin, done, render_processes=0)
        crashed = create_job(app, admin, order_ids[2:], ["pdf"], carrier_account=account)
        with app.tx() as session:  # a runner died while sending the first label
            session.execute(
                update(PrintJobItem)
                .where(PrintJobItem.job_id == crashed.job_id, PrintJobItem.position == 1)
                .values(state="sending")
            )
        roles.create_role(app, admin, "packer", ("order.view", "print.run"))
        acme.staff("clerk", "打单员")
        viewer = acme.staff("viewer", "只读")
        token = auth.create_api_token(app, admin, "scanner", username="clerk")
        for house in ("主仓", "北仓"):
            stock_warehouses.add_warehouse(app, admin, house)
        stock_catalogue.add_sku(app, admin, "LID", "杯盖", cost_fen=350)
        stock_operations.receive(app, admin, [StockLine("LID", 10)])
        stock_mapping.map_platform_sku(
            app, admin, "pinduoduo", "sku-lid", [stock_mapping.Part("LID", 2)]
        )
        stock_bins.set_bin(app, admin, "LID", "A-1")
        routing_rules.add_rule(app, admin, "北方", ["北仓"], provinces=["北京"])
        stock_policies.set_threshold(app, admin, "LID", 3)
        stock_push_settings.update_push_settings(app, admin, enabled=True)
        report_rates.set_rate(app, admin, account, first_fen=300, step_fen=100)
        waybills = query.list_waybills(app, admin)
        yield World(
            app=app,
            rig=rig,
            viewer=viewer,
            shop_id=shop_id,
            account=account,
            order_ids=order_ids,
            order_numbers=rig.order_numbers()[:4],
            package_ids=package_ids,
            waybill_ids=[w.id for w in waybills],
            waybill_number=waybills[0].number,
            done_job=done,
            crashed_job=crashed.job_id,
            token_id=token.id,
        )


def test_read_only_user_changes_nothing(world: World) -> None:
    problems = []
    for name, call in _calls().items():
        before = snapshot(world.app)
        try:
            call(world)
            outcome = "allowed"
        except OrderhubError as exc:
            outcome = type(exc).__name__
            if name not in READS and not isinstance(exc, PermissionDenied):
                problems.append(f"{name}: refused with {outcome}, not PermissionDenied: {exc}")
        except Exception as exc:  # a crash is a finding too
            problems.append(f"{name}: crashed: {type(exc).__name__}: {exc}")
            continue
        if outcome == "allowed" and name not in READS:
            problems.append(f"{name}: a read-only user was allowed to call it")
        after = snapshot(world.app)
        changed = sorted(t for t in before if before[t] != after[t])
        if changed:
            problems.append(f"{name} ({outcome}) changed {', '.join(changed)}")
    assert not problems, "\n".join(problems)
