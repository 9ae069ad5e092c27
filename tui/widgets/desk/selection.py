"""Which orders the desk's batch actions act on: picked rows, or every order of the filter.

Rows are picked by id (space, shift-range) and remembered with their numbers, which the
services take, so a pick survives scrolling its page out of memory. "Select all
matching" keeps the filter instead of 100,000 numbers: the numbers are asked for when an
action runs (`core.desk.search.matching_numbers`, at most `core.desk.lookup.MAX_ORDERS`,
never a silent cut).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.desk.listing import OrderRow


@dataclass
class Selection:
    picked: dict[int, str] = field(default_factory=dict)  # order id → number, in pick order
    every: str | None = None  # the filter whose every order is selected
    every_count: int = 0

    @property
    def count(self) -> int:
        return self.every_count if self.every is not None else len(self.picked)

    def __contains__(self, order_id: int) -> bool:
        return self.every is not None or order_id in self.picked

    def toggle(self, row: OrderRow) -> None:
        self.every = None
        if row.id in self.picked:
            del self.picked[row.id]
        else:
            self.picked[row.id] = row.order_no

    def pick(self, rows: Iterable[OrderRow]) -> None:
        self.every = None
        for row in rows:
            self.picked[row.id] = row.order_no

    def select_every(self, query: str, count: int) -> None:
        self.picked.clear()
        self.every, self.every_count = query, count

    def clear(self) -> None:
        self.picked.clear()
        self.every, self.every_count = None, 0

    def numbers(self, matching: Callable[[str], list[str]]) -> list[str]:
        """The order numbers to act on; `matching(query)` lists a whole filter's."""
        if self.every is not None:
            return matching(self.every)
        return list(self.picked.values())
