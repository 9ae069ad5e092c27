"""审单: the org's audit rule set, and approving, rejecting and re-checking orders by it.

Rules run as orders arrive (sync, import), after every edit, and on demand; an order that
passes every enabled rule is approved automatically when the rule set says so, the others
go to the exception queue with each failed rule named. Modules are imported by name; this
package re-exports nothing.
"""
