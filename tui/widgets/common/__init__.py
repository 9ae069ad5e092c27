"""Widgets several screens use: inputs that honour the app's options."""
