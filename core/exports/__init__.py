"""数据导出: orders, packages, waybills and print history as CSV or XLSX.

Every export takes the desk's filter (`core.desk.query`, compiled by `core.desk.predicates`:
one language, the same errors) plus an optional Beijing date range, and streams its rows
through `core.tabular.writing.write_table` in keyset batches (ids ascending, a batch of
rows built with a handful of queries), so memory stays flat whatever the row count
(`bench/export_bench.py` measures it, and the time).

- `scope`: the request (filter, date range, format), the batches, the receiver columns
  (masked, or in clear with `pii.view` and one audit event per export);
- `orders`: one row per order line (why: its docstring);
- `shipments`: packages and waybills, for the orders the filter selects;
- `prints`: print history (底单), the same rows as `core.printing.history`.

Exports only read: an export with the receiver masked writes nothing at all. The
catalogue and SKU mappings are exported by `core.stock` (`catalogue_file`,
`mapping_file`), in the columns their imports read back.
"""
