"""The core side of plugins: loading them, listing them, and what core offers them.

- `host`: `PluginHost` finds plugins through the `orderhub` entry points (built-in and
  third-party alike), checks each class against its contract and hands classes out;
- `records`: what the host knows of each plugin, and how `orderhub plugins` lists it;
- `notify`: sending notifications through the notifier plugins, raising alerts, and
  `CoreServices`, the facade plugin instances receive.

Not to be confused with the top-level `plugins/` folder, which holds the built-in plugins
themselves; those import `core.contracts` and `core.hookspecs`, never this package.
"""
