"""Widgets of the print screen: the batch form (orders, kind, template, printers), the
job's progress (bar, labels per second, time left), its items with their states, and the
terminal rendering of a label preview."""
