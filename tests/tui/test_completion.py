"""Completing the filter language as it is typed: keys, fixed values from
`core.desk.query.choices`, the org's names, inside comma lists and after a minus."""

from __future__ import annotations

from core.auditing.rules import REASON_CODES
from core.desk.query import KEYS, TABS, choices
from tui.i18n import entries
from tui.widgets.desk.completion import Known, complete

KNOWN = Known({"tag": ("紧急", "VIP"), "shop": ("杯子店", "旗舰店")})


def test_a_word_completes_to_a_key() -> None:
    assert complete("prov", KNOWN) == "province:"
    assert complete("paid:>2026-11-01 -fl", KNOWN) == "paid:>2026-11-01 -flag:"
    assert complete("province", KNOWN) == "province:"
    assert complete("zzz", KNOWN) is None
    assert complete("", KNOWN) is None and complete("tag:紧急 ", KNOWN) is None


def test_a_key_completes_to_its_values() -> None:
    assert complete("status:au", KNOWN) == "status:audited"
    assert complete("status:pending,ex", KNOWN) == "status:pending,exception"
    assert complete("tag:V", KNOWN) == "tag:VIP"
    assert complete("shop:旗", KNOWN) == "shop:旗舰店"
    assert complete("due:ov", KNOWN) == "due:overdue"
    assert complete("sort:-p", KNOWN) == "sort:-paid"
    assert complete("exception:addr", KNOWN) == "exception:address_unknown_province"
    assert complete("status:audited", KNOWN) is None
    assert complete("paid:2026", KNOWN) is None  # times are free text


def test_fixed_choices_come_from_the_filter_language() -> None:
    assert choices("status") == TABS
    assert choices("printed") == ("yes", "no", "any")
    assert choices("province") == ()
    assert all(key in KEYS for key in ("status", "province", "exception", "sort"))


def test_every_tab_and_reason_has_its_words() -> None:
    keys = set(entries())
    assert {f"desk.tab.{tab}" for tab in (*TABS, "all")} <= keys
    assert {f"desk.reason.{code}" for code in REASON_CODES} <= keys
