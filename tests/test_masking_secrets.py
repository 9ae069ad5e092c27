"""`mask_dsn`: no database password, in any form, survives into a message, log or output."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.masking import mask_dsn

# Passwords as people choose them, special characters included; no line breaks.
PASSWORDS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
)
# What a URL parser or libpq reads as one unquoted value: no white space, no leading quote.
TOKENS = PASSWORDS.filter(lambda p: not any(c.isspace() for c in p) and p[0] not in "'\"")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mysql://user:pw@host/db", "mysql://user:****@host/db"),
        ("postgresql://oh:hunter2@db:5432/oh", "postgresql://oh:****@db:5432/oh"),
        ("postgresql://oh:p@ss:w/rd@db/oh", "postgresql://oh:****@db/oh"),
        ("postgresql://oh:p%40ss%3Aw%2Frd@db/oh", "postgresql://oh:****@db/oh"),
        ("postgresql://:pw@db/oh", "postgresql://:****@db/oh"),
        ("postgresql://oh:my pass@db/oh", "postgresql://oh:****@db/oh"),
        ("postgresql://oh@db/oh?password=s3cret", "postgresql://oh@db/oh?password=****"),
        (
            "postgresql://oh@db/oh?sslmode=require&password=s%26cret&connect_timeout=5",
            "postgresql://oh@db/oh?sslmode=require&password=****&connect_timeout=5",
        ),
        ("postgresql://db/oh?sslpassword=k3y", "postgresql://db/oh?sslpassword=****"),
        ("host=db user=oh password=s3cret dbname=oh", "host=db user=oh password=**** dbname=oh"),
        ("host=db password = 'it\\'s a secret' dbname=oh", "host=db password = **** dbname=oh"),
        ("PGPASSWORD=s3cret pg_dump", "PGPASSWORD=**** pg_dump"),
        # Not URLs a parser accepts, masked all the same.
        ("postgres//oh:s3cret@db/oh", "postgres//oh:****@db/oh"),
        ("oh:s3cret@db", "oh:****@db"),
        # A message around a URL keeps its words.
        (
            "cannot reach postgresql://oh:pw@db/oh: timeout",
            "cannot reach postgresql://oh:****@db/oh: timeout",
        ),
    ],
)
def test_every_password_form_is_masked(text: str, masked: str) -> None:
    assert mask_dsn(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgresql://db.internal:5432/oh?sslmode=require&passfile=/etc/oh/pgpass",
        "sqlite:////var/lib/orderhub/orderhub.db",
        "sqlite:///:memory:",
        "https://gw-api.pinduoduo.com/api/router",
        "",
        'password authentication failed for user "oh" at 10:15',
    ],
)
def test_text_without_a_password_is_unchanged(text: str) -> None:
    assert mask_dsn(text) == text


def test_masking_twice_changes_nothing() -> None:
    once = mask_dsn("postgresql://oh:pw@db/oh?password=x host=db password=y")
    assert mask_dsn(once) == once


def _never_shown(password: str, masked: str, expected: str) -> None:
    assert masked == expected
    if password not in expected:  # a one-letter password may be part of the host name
        assert password not in masked


@given(password=PASSWORDS.filter(lambda p: "\n" not in p and "\r" not in p))
def test_userinfo_password_typed_as_is_never_shown(password: str) -> None:
    url = f"postgresql://orderhub:{password}@db.example:5432/hub"
    _never_shown(password, mask_dsn(url), "postgresql://orderhub:****@db.example:5432/hub")


@given(password=PASSWORDS)
def test_userinfo_password_percent_encoded_is_never_shown(password: str) -> None:
    encoded = quote(password, safe="")
    masked = mask_dsn(f"postgresql+psycopg://orderhub:{encoded}@db.example/hub")
    _never_shown(encoded, masked, "postgresql+psycopg://orderhub:****@db.example/hub")


@given(password=PASSWORDS, key=st.sampled_from(["password", "sslpassword", "Password"]))
def test_query_parameter_password_is_never_shown(password: str, key: str) -> None:
    encoded = quote(password, safe="")
    for url, expected in [
        (f"postgresql://db/hub?{key}={encoded}", f"postgresql://db/hub?{key}=****"),
        (
            f"postgresql://oh@db/hub?sslmode=require&{key}={encoded}&application_name=x",
            f"postgresql://oh@db/hub?sslmode=require&{key}=****&application_name=x",
        ),
    ]:
        _never_shown(encoded, mask_dsn(url), expected)


@given(password=PASSWORDS)
def test_libpq_quoted_password_is_never_shown(password: str) -> None:
    quoted = "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"
    masked = mask_dsn(f"host=db user=oh password={quoted} dbname=hub")
    _never_shown(password, masked, "host=db user=oh password=**** dbname=hub")


@given(password=TOKENS)
def test_libpq_plain_password_is_never_shown(password: str) -> None:
    masked = mask_dsn(f"host=db user=oh password={password} dbname=hub")
    _never_shown(password, masked, "host=db user=oh password=**** dbname=hub")
