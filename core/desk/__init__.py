"""The order desk: what operators do to orders between "arrived" and "print".

Searching and listing orders with the desk's filter language, saved filters, showing one
order whole (with the receiver revealed only to `pii.view`, audited), tags, edits, holds
and manual orders. Every service here checks the actor's permission and org before it
reads or changes anything, and records what it changed in the audit log. Modules are
imported by name; this package re-exports nothing.
"""
