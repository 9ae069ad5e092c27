"""The people side of alerts: who sees and acknowledges them, how they reach a person,
and the periodic checks that raise the order alerts.

- `access`: which alerts an actor may see and acknowledge (the rules, in one place);
- `listing`: `list_alerts`, `ack_alerts`, `ack_kind`, `open_counts` (org-scoped, audited);
- `forwarding`: the pass that sends new alerts at or above `[alerts] forward_severity`
  through the notifiers (`core.alerts.notify`), once each;
- `overdue`: the pass that raises "overdue to ship" alerts from `orders.promised_ship_by`;
- `passes`: both passes together, as the worker and `orderhub alerts run` call them.
- `channels`: the notifiers in force (option names, never values) and a test message.

Why apart from `core.alerts`: raising an alert is needed by every domain, below accounts
and orders; this package checks actors (`core.accounts`) and reads orders, so it sits
above them (see the import-linter layers in `pyproject.toml`).
"""
