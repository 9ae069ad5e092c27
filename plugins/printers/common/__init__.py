"""Helpers the built-in printer drivers share: reading settings, deadlines, and decoding the
status replies of TSPL, ZPL and ESC/POS printers. Not a plugin; it registers nothing."""
