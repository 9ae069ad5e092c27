"""Desk verbs on every order of a filter (`--filter QUERY` instead of numbers): approve,
tag and hold what a filter selects; both or neither is refused, an empty selection too."""

from __future__ import annotations

import json

import pytest

from core.desk import search
from tests.desk.test_edits import (
    cli_env,  # noqa: F401 (a fixture)
    make_shop,
    order,
    run,
    set_columns,
    store,
)


@pytest.fixture
def shop(app, acme) -> int:  # type: ignore[no-untyped-def]
    return make_shop(app, acme.org_id)


@pytest.mark.usefixtures("cli_env")
def test_approve_and_tag_every_order_of_a_filter(app, acme, shop, capsys) -> None:  # type: ignore[no-untyped-def]
    store(app, acme.org_id, shop, "A1", "A2", "A3", source="sync")
    for number in ("A1", "A2"):
        set_columns(app, number, in_exception=True, exception_reasons=["buyer_memo"])
    assert search.matching_numbers(app, acme.admin, "exception:buyer_memo", most=10) == [
        "A1",
        "A2",
    ]

    code, out, err = run(capsys, "orders", "approve", "--filter", "exception:buyer_memo", "--json")
    assert code == 0, err
    assert [d["order"] for d in json.loads(out)["decisions"]] == ["A1", "A2"]
    assert [order(app, n).hub_status for n in ("A1", "A2", "A3")] == [
        "audited",
        "audited",
        "pending",
    ]

    run(capsys, "tags", "create", "紧急", "--color", "red")
    code, out, err = run(capsys, "orders", "tag", "--filter", "status:audited", "--add", "紧急")
    assert code == 0, err
    assert [r.order_no for r in search.search_orders(app, acme.admin, "tag:紧急").rows] == [
        "A1",
        "A2",
    ]


@pytest.mark.usefixtures("cli_env")
def test_a_selection_is_numbers_or_a_filter_and_never_empty(app, acme, shop, capsys) -> None:  # type: ignore[no-untyped-def]
    store(app, acme.org_id, shop, "A1", source="sync")
    code, _, err = run(capsys, "orders", "hold", "A1", "--filter", "hold:no", "--reason", "x")
    assert code == 1 and "not both" in err and "Traceback" not in err
    code, _, err = run(capsys, "orders", "hold", "--reason", "x")
    assert code == 1 and "--filter" in err
    code, _, err = run(capsys, "orders", "approve", "--filter", "province:西藏自治区")
    assert code == 1 and "no order matches" in err
    code, _, err = run(capsys, "orders", "release", "--filter", "provnce:浙江")
    assert code == 1 and "unknown key 'provnce'" in err
    assert not order(app, "A1").on_hold


def test_a_filter_wider_than_the_limit_is_refused_not_cut(app, acme, shop) -> None:  # type: ignore[no-untyped-def]
    store(app, acme.org_id, shop, "A1", "A2", "A3", source="sync")
    try:
        search.matching_numbers(app, acme.admin, "status:pending", most=2)
    except Exception as exc:
        assert type(exc).__name__ == "ValidationError" and "narrow it" in str(exc)
    else:
        raise AssertionError("a selection over the limit was cut instead of refused")


def test_selected_numbers_is_numbers_or_a_filter(app, acme, shop) -> None:  # type: ignore[no-untyped-def]
    from core.desk.selection import selected_numbers
    from core.errors import ValidationError

    store(app, acme.org_id, shop, "A1", "A2", source="sync")
    assert selected_numbers(app, acme.admin, ["A2", "A1"]) == ["A2", "A1"]
    assert selected_numbers(app, acme.admin, query="order:A2") == ["A2"]
    for numbers, query, field in (
        (["A1"], "order:A1", "orders"),
        ([], None, "orders"),
        ([], "province:西藏自治区", "filter"),
    ):
        with pytest.raises(ValidationError) as caught:
            selected_numbers(app, acme.admin, numbers, query)
        assert caught.value.details["field"] == field
