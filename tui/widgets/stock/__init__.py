"""The stock screen's widgets: its tables, what they read, its dialogs."""
