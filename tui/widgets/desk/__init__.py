"""The order desk's regions: the tab strip, the filter bar (with its completion), the order
table and the window of pages behind it (`feed`), the selection, the status line."""
