"""The order desk: what operators do to orders between "arrived" and "print".

Every service here checks the actor's permission and org before it reads or changes
anything, records what it changed in the audit log (events filed under each order), and
ends a change with the orders' arrival steps again (`core.auditing.arrival`). Modules are
imported by name; this package re-exports nothing.

- `query`: the filter language (one parser for the CLI, `print --filter`, API and TUI);
- `predicates`: a parsed query as SQL over the actor's org, and the desk's tabs;
- `search`, `listing`: pages of orders by signed keyset cursor, tab counts, list rows;
- `show`: one order whole; the receiver in clear only with `pii.view`, audited;
- `saved_filters`: 常用筛选 per user, shareable in the org;
- `tags`: the org's coloured tags, set and unset on many orders at once;
- `edits`: 改单 — receiver of imported/manual orders, local remark and flag, versioned;
- `lookup`: orders by typed number, versioned writes, `after_change` (shared by the others);
- `holds`: 挂起 / 释放 with a reason;
- `manual`: 手工订单 typed in by hand;
- `packing`: 合单/拆单 at the desk (the package moves of `core.orders`, then judged again).
"""
