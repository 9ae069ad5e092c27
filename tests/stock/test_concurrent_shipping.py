"""Invariant 5 under concurrency: worker processes approve and ship orders that compete
for the same SKUs (`bench/stock_bench.py`, smaller). Afterwards no level is negative or
left reserved, every level equals its ledger, every order is shipped or held for stock,
and what left the shelves is exactly what the shipped orders took. PostgreSQL: four
processes at once; SQLite: its one writer."""

from __future__ import annotations

from pathlib import Path

from bench import stock_bench


def test_workers_competing_for_stock_never_oversell(database_url: str, tmp_path: Path) -> None:
    workers = 4 if database_url.startswith("postgresql") else 1
    world = stock_bench.build(
        stock_bench.settings_for(tmp_path, database_url), orders=400, skus=12, stock_share=0.9
    )
    figures = stock_bench.ship(world, workers=workers, chunk=20)
    assert "errors" not in figures, figures
    assert stock_bench.check(world) == []
    held = len(world.numbers) - int(figures["shipped"])  # type: ignore[call-overload]
    assert figures["refused"] == held > 0  # the stock ran short: some orders waited
