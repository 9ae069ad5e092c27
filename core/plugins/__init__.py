"""The core side of plugins: loading them and listing them.

- `host`: `PluginHost` finds plugins through the `orderhub` entry points (built-in and
  third-party alike), checks each class against its contract, hands classes out and emits
  event hooks;
- `records`: what the host knows of each plugin, and how `orderhub plugins` lists it.

The services facade plugin instances receive is built by `core.startup`. Not to be
confused with the top-level `plugins/` folder, which holds the built-in plugins themselves:
those import `core.contracts` and `core.hookspecs`, never this package.
"""
