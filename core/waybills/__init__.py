"""E-waybills (电子面单): carrier accounts, drawing numbers, reprinting, cancelling.

- `allocation`: `allocate`, `reallocate` and `cancel`, the entry points: idempotent, in
  carrier-sized batches, never two active waybills per package (invariant 3);
- `batches`: one allocation batch: claim the packages, call the carrier, store;
- `store`: the database steps of allocation (claims, eligibility, storing, tombstones);
- `compensation`: cancelling at the carrier the numbers drawn but not kept;
- `cancel`: recycling waybills in three steps, so no step can print a voided number;
- `query`: reading waybills, fetching print data again, marking them printed, guessing a
  carrier from a tracking number;
- `requests`: from a package to the `WaybillRequest` a carrier plugin sees;
- `request_epoch`: the installation's prefix of every carrier request id;
- `carrier_accounts`: where waybills come from (carrier, branch, sender, credentials);
- `account_edits`: changing an account afterwards (name, sender, default template, on/off);
- `carrier_session`: the carrier plugin instance of an account, with a retry after a shop
  token refresh.

No transaction is ever open while a carrier is called; docs/architecture.md says why.
"""
