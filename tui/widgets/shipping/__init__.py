"""Widgets of the shipping screen: the summary line (outbox counts, packages ready to
confirm), the outbox and failure tables, the alerts table, the drain's progress."""
