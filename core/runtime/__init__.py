"""How orderhub's processes run: helper processes, the collector, checkpoints, progress.

- `processes`: spawned helper processes that start fast and die with their parent, and
  `class_at`, the look-up of a plugin class a parent names by module and qualified name;
- `heap`: keeping the garbage collector off long-lived objects during bulk passes;
- `checkpoints`: SQLite WAL checkpoints moved off the writer during bulk writes;
- `progress`: the protocol long services report their progress through (front ends
  render it).

Nothing here knows a domain: sync, import and printing use these, never the reverse.
Helper processes import these modules first, so the package re-exports nothing.
"""
