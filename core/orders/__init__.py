"""Orders and the packages they ship in.

- `store`: storing orders from platforms and imports, exactly once and never going
  backwards (invariant 1);
- `quarantine`: orders a platform served that its plugin could not map, kept aside (their
  payload sealed) until a later read stores them, so they never block a shop's sync;
- `rows`: orders as database rows, encoded apart from the database (in reader processes
  during a bulk sync);
- `status`: the hub status, where an order is in our workflow, derived from the platform's;
- `packages`: packages, the unit that gets one waybill and one label;
- `merging`: 合单 — merge candidates, merging, the rules' auto-merge;
- `splitting`: 拆单 — split, unmerge, typed weights;
- `repacking`: when a package may still change, and rewriting its lines;
- `lookup`: an org's orders by the numbers operators type.

`rows` and `status` are pure: helper processes import them without loading services.
"""
