"""Widgets of the pack station (扫描验货): the verdict banner, the package's items, the
session's counters."""
