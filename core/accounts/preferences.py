"""A person's own preferences: for now the language of the UI they work in.

A user sets their own (no permission beyond being signed in, like their password); setting
another user's — a shared warehouse terminal prepared for a colleague — needs
`user.manage`. The value is a language code of `UI_LANGUAGES`, or None for the
installation's default (Chinese). Front ends decide what to do with it: the terminal UI
opens in it unless told otherwise (`orderhub tui --lang`).
"""

from __future__ import annotations

from core.accounts import audit, authz
from core.accounts.auth import user_in_org
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import User

#: The languages the front ends speak: Chinese (the default), English.
UI_LANGUAGES = ("zh", "en")


def check_language(language: str | None) -> str | None:
    """`language` as stored: a code of `UI_LANGUAGES` (case and spaces forgiven) or None."""
    if language is None or not language.strip() or language.strip().lower() == "default":
        return None
    code = language.strip().lower()
    if code not in UI_LANGUAGES:
        raise ValidationError(
            f"unknown language {language!r}; choose one of {', '.join(UI_LANGUAGES)} or 'default'",
            field="language",
        )
    return code


def set_language(
    app: App, actor: Actor, language: str | None, *, username: str | None = None
) -> str | None:
    """Set the UI language of `username` (the actor's own account when None); the
    stored value (None: the default)."""
    code = check_language(language)
    with app.tx() as session:
        authz.permissions_of(session, actor)  # a disabled user or org may not
        if username is None:
            if actor.user_id is None:
                raise ValidationError("name the user whose language to set", field="username")
            user = session.get(User, actor.user_id)
            if user is None or user.org_id != actor.org_id:
                raise ValidationError("name the user whose language to set", field="username")
        else:
            user = user_in_org(session, actor, username.strip().lower())
            if user.id != actor.user_id:
                authz.require(session, actor, "user.manage")
        before = user.language
        user.language = code
        audit.record(
            session,
            "user.language",
            actor=actor,
            target_type="user",
            target_id=user.id,
            before={"language": before},
            after={"language": code},
        )
        return code


def language_of(app: App, actor: Actor) -> str | None:
    """The UI language the actor's user chose (None: the default, or not a user)."""
    if actor.user_id is None:
        return None
    with app.tx() as session:
        user = session.get(User, actor.user_id)
        return user.language if user is not None and user.org_id == actor.org_id else None
