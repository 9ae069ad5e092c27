"""The regions of the settings screen: one module per section over its core services.

- `base`: `SettingsSection` (a section's actions, data loading, its tables) and the helpers
  every section shares (times in Asia/Shanghai, on/off text);
- `form`: `FormDialog`, a few labelled fields in one dialog;
- `shops`, `shop_bind` (the authorisation URL as text and QR code), `carriers`, `printers`,
  `calibration` (offsets with a live preview), `templates`, `template_editor` (element list
  with a live preview), `users`, `audit_rules`, `assignment_rules`, `channels`, `shipping`.
"""
