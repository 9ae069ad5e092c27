"""Widgets of the reports screen: the report's table and its terminal chart."""
