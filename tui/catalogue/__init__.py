"""Messages of the terminal UI, one module per screen or region (see `tui.i18n`).

Each module holds `MESSAGES: dict[str, tuple[str, str]]`, key → (zh-CN, English), every
key starting with the module's name and a dot. Adding a screen adds a module here.
"""
