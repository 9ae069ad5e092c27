"""Order import from files (CSV, XLSX, platform exports): all rows or nothing.

- `service`: `import_orders`, the entry point: permission and shop checks, dry runs,
  all-or-nothing or `--partial` storing;
- `checks`: the checks core adds to every format's rows, apart from the database;
- `pipeline`: big imports on two cores, a reader process parsing and checking while this
  process stores;
- `report`: what an import did or would do, row by row.

The reader process imports `checks` and `report` only, so this package re-exports nothing.
"""
