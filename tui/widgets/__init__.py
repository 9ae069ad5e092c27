"""Widgets of the terminal UI, one package per screen region (`desk/`, `detail/`), and
`common/` for what several screens use."""
