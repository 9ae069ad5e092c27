"""Errors become notices in one place (`tui.errors`): a title in the UI's language, the
core's message, the permission named; a bug is logged with its traceback, not shown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from core.errors import ExternalError, NotFound, PermissionDenied, ValidationError
from tui import errors, i18n


@pytest.fixture
def english() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


def test_permission_refusal_names_the_permission_in_chinese() -> None:
    refusal = PermissionDenied("clerk lacks permission pii.view", permission="pii.view")
    notice = errors.describe(refusal)
    assert notice.title == "权限不足"
    assert notice.message.splitlines() == [
        "需要权限：pii.view（查看买家明文信息）",
        "clerk lacks permission pii.view",
    ]
    assert notice.severity == "warning"


def test_titles_follow_the_language(english: None) -> None:
    assert errors.describe(NotFound("no order '9'")).title == "Not found"
    retry = errors.describe(ExternalError("gateway timeout", retryable=True))
    assert retry.message == "gateway timeout\nWorth retrying later"
    refusal = PermissionDenied("x lacks permission order.audit", permission="order.audit")
    named = errors.describe(refusal).message.splitlines()[0]
    assert named == "Needs permission order.audit (audit orders)"


def test_a_filter_error_shows_where_it_is() -> None:
    bad = ValidationError("filter: unknown key 'colour'", field="filter", pointer="colour:x\n^")
    notice = errors.describe(bad)
    assert notice.title == "输入有误"
    assert notice.message == "filter: unknown key 'colour'\ncolour:x\n^"


def test_a_database_failure_says_so() -> None:
    down = OperationalError("SELECT 1", {}, Exception("connection refused"))
    notice = errors.describe(down)
    assert notice.title == "数据库不可用"
    assert "Traceback" not in notice.message


def test_a_bug_is_logged_with_its_traceback_and_never_shown(tmp_path: Path) -> None:
    errors.install_log(tmp_path)
    try:
        raise KeyError("internal")
    except KeyError as exc:
        notice = errors.describe(exc, tmp_path)
    for handler in logging.getLogger("orderhub").handlers:
        handler.flush()
    assert notice.title == "内部错误"
    assert notice.message == f"意外错误（KeyError），详情已写入日志 {tmp_path / 'tui.log'}"
    logged = (tmp_path / "tui.log").read_text()
    assert "Traceback" in logged and "KeyError: 'internal'" in logged
