"""Alerts and notifications: what operators and merchants must be told.

- `raising`: `raise_alert`, a stored `Alert` row (in its own transaction) and the
  `alert_raised` hook;
- `notify`: `notify`, sending a notification (one-time codes, failures) through the
  notifier plugins named in `[plugins] notifiers`.

Any domain may raise an alert; this package imports no domain.
"""
