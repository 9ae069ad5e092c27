"""Holds: stopping orders and their packages, and letting them go again.

A hold is set from several domains — a person at the desk (`core.desk.holds`), the
platform's refund at sync (`core.orders.store`, `core.printing.interception`) and stock
running short at approval (`core.stock.reservations`) — and every one of them must stop
the same things: the order's flag and reason, and its live packages (`packages`), with an
audit event (`orders`). This package sits below all of them so they share one path.
"""
