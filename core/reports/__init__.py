"""Reports (issue 14): what merchants run the shop by, over any period of Shanghai days.

- `period`: the days a report covers and their UTC bounds (why reports query per day).
- `model`: the typed result every report returns (columns, rows, chart data).
- `common`: the permission check (`report.view`; money with `finance.view`), the
  per-day query loop, names and groupings.
- `orders`: orders, shipped orders and overdue shipments.
- `exceptions`: audit-rule failures, holds, intercepted parcels, quarantine, alerts.
- `carriers`: carrier share and shipping cost; `rates`: the rate cards it prices with.
- `handling`: paid → printed → shipped times (median, p90).
- `prints`: prints and reprints per user.
- `stock`: stock value and slow movers.
- `catalog`: every report by name (what front ends list and run).
- `output`: CSV/XLSX through the shared table writer, PNG charts with the CJK font.
"""
