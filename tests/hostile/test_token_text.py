"""Whatever text arrives as a bearer token (a header, a CLI argument), authentication
answers AuthenticationFailed: never an encoding error, a database error or a match."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.accounts import auth
from core.app import App
from core.errors import AuthenticationFailed
from tests.conftest import OrgFixture


@pytest.fixture
def issued(app: App, acme: OrgFixture) -> str:
    return auth.create_api_token(app, acme.admin, "scanner").token


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
@example(text="oh_0123456789abcdef_秘密")
@example(text="oh_0123456789abcdef_abc\x00def")
@example(text="oh_\x00_x")
@example(text="oh_" + "a" * 100_000 + "_x")
def test_any_text_is_refused_cleanly(app: App, issued: str, text: str) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(app, text)


def test_the_issued_token_still_works_and_a_changed_one_does_not(app: App, issued: str) -> None:
    assert auth.authenticate(app, issued).label == "boss"
    tampered = issued[:-1] + ("A" if issued[-1] != "A" else "B")
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(app, tampered)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(app, issued[:-1] + "é")
