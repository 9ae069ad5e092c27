"""Templates in the database: built-ins seeded as rows, org templates imported and exported,
every change a new immutable version.

A print item records the `TemplateVersion` it was rendered with, so a reprint renders the
same layout even after the template was edited (the migration's trigger refuses UPDATEs of
`template_versions`; a change is always a new row). Built-in templates (`org_id` NULL) are
seeded from `core/templates/builtin` the first time they are needed; when orderhub ships a
changed built-in, seeding adds its next version and older print items keep theirs.

Names resolve org first, then built-in: an org may import its own `label-76x130`, which
then shadows the built-in of that name for that org only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.renderer import TemplateSpec
from core.db import open_write_transaction
from core.errors import NotFound, ValidationError
from core.models import Template, TemplateVersion
from core.templates import builtin_templates, template_from_dict, template_from_json
from core.templates.limits import MAX_NAME_CHARS, MAX_TEMPLATE_BYTES
from core.templates.serialization import plain, template_to_json

#: The default template of each kind when neither the job nor the carrier account names one.
DEFAULT_NAMES = {
    "label": "label-76x130",
    "packing_slip": "packing-slip-a4",
    "pick_list": "pick-list-a4",
    "product_label": "product-label-50x30",
}


@dataclass(frozen=True)
class TemplateInfo:
    """A template as listed: where it comes from, its current version and size."""

    id: int
    name: str
    kind: str
    builtin: bool
    current_version: int
    width_mm: float
    height_mm: float
    updated_at: datetime | None


def checksum(spec: TemplateSpec) -> str:
    """SHA-256 of the layout's canonical JSON (name and version number excluded), so the
    same layout saved twice is recognised."""
    body = {
        "kind": spec.kind,
        "width_mm": float(spec.width_mm),
        "height_mm": float(spec.height_mm),
        "elements": [plain(e) for e in spec.elements],
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---------------------------------------------------------------- built-ins


def seed_builtins(session: Session) -> None:
    """Make sure every shipped template is a row whose current version is what ships.
    Idempotent and safe when two processes seed at once (the loser's insert is undone
    in a savepoint and the winner's row is used)."""
    for spec in builtin_templates().values():
        digest = checksum(spec)
        row = _builtin_row(session, spec.name)
        if row is None:
            open_write_transaction(session)
            try:
                with session.begin_nested():
                    row = _new_template(session, None, spec)
                    _add_version(session, row, spec, digest, 1, None)
            except IntegrityError:
                row = _builtin_row(session, spec.name)
            continue
        current = _version_row(session, row.id, row.current_version)
        if current is None or current.checksum != digest:
            open_write_transaction(session)
            try:  # another process may be adding the same new version right now
                with session.begin_nested():
                    _add_version(session, row, spec, digest, row.current_version + 1, None)
            except IntegrityError:
                session.refresh(row)


def _builtin_row(session: Session, name: str) -> Template | None:
    return session.scalars(
        select(Template).where(Template.org_id.is_(None), Template.name == name)
    ).first()


# ---------------------------------------------------------------- resolving


def resolve(session: Session, org_id: int, name: str | None, kind: str) -> TemplateVersion:
    """The current version of template `name` (org first, then built-in) for a job of
    `kind`; without a name, the default of that kind. Unknown names and kind mismatches
    are errors naming the template."""
    wanted = (name or "").strip() or DEFAULT_NAMES.get(kind, "")
    if not wanted:
        raise ValidationError(f"no default template for kind {kind!r}", field="template")
    row = find(session, org_id, wanted)
    if row.kind != kind:
        raise ValidationError(
            f"template {wanted!r} is a {row.kind} template; this job prints {kind}",
            field="template",
        )
    version = _version_row(session, row.id, row.current_version)
    if version is None:  # pragma: no cover - a row always gets its first version
        raise NotFound(f"template {wanted!r} has no version {row.current_version}")
    return version


def find(session: Session, org_id: int, name: str) -> Template:
    """Template `name` visible to the org (its own first, then built-in), seeding built-ins."""
    seed_builtins_once(session)
    rows = list(
        session.scalars(
            select(Template).where(
                Template.name == name,
                or_(Template.org_id == org_id, Template.org_id.is_(None)),
                Template.archived_at.is_(None),
            )
        )
    )
    if not rows:
        known = sorted(
            set(
                session.scalars(
                    select(Template.name).where(
                        or_(Template.org_id == org_id, Template.org_id.is_(None))
                    )
                )
            )
        )
        raise NotFound(f"no template named {name!r}; there are: {', '.join(known)}")
    rows.sort(key=lambda t: t.org_id is None)
    return rows[0]


def seed_builtins_once(session: Session) -> None:
    """Seed when a built-in row is missing or out of date (one cheap query otherwise)."""
    names = {
        name: checksum(spec) for name, spec in builtin_templates().items()
    }  # cached by builtin_templates; checksum is cheap next to a query
    rows = session.execute(
        select(Template.name, TemplateVersion.checksum)
        .join(
            TemplateVersion,
            (TemplateVersion.template_id == Template.id)
            & (TemplateVersion.version == Template.current_version),
        )
        .where(Template.org_id.is_(None))
    ).all()
    if dict(rows) != names:
        seed_builtins(session)


def spec_of(session: Session, version_id: int) -> TemplateSpec:
    """The `TemplateSpec` of a stored version, checked (a template row edited behind
    orderhub's back is refused with the validation message, not printed wrongly)."""
    version = session.get(TemplateVersion, version_id)
    if version is None:
        raise NotFound(f"no template version with id {version_id}")
    template = session.get(Template, version.template_id)
    assert template is not None
    return _spec(template.name, template.kind, version)


def _spec(name: str, kind: str, version: TemplateVersion) -> TemplateSpec:
    return _checked_spec(
        name,
        kind,
        version.version,
        float(version.width_mm),
        float(version.height_mm),
        json.dumps(version.elements, ensure_ascii=False, sort_keys=True),
    )


@lru_cache(maxsize=64)
def _checked_spec(
    name: str, kind: str, version: int, width: float, height: float, elements: str
) -> TemplateSpec:
    obj = {
        "format": "orderhub-template",
        "format_version": 1,
        "name": name,
        "kind": kind,
        "width_mm": width,
        "height_mm": height,
        "version": version,
        "elements": json.loads(elements),
    }
    return template_from_dict(obj, source=f"template {name!r} version {version}")


# ---------------------------------------------------------------- import / export / list


def import_template(app: App, actor: Actor, text: str | bytes, *, name: str = "") -> TemplateInfo:
    """Store an exported template as the org's (`settings.manage`): a new template, or the
    next version of the org's template of that name; an unchanged layout adds nothing.
    The whole file is validated first (`ValidationError` naming element and key)."""
    if len(text) > MAX_TEMPLATE_BYTES:
        raise ValidationError(
            f"template file is {len(text):,} bytes; at most {MAX_TEMPLATE_BYTES:,} are accepted",
            field="template",
        )
    spec = template_from_json(text, source=name or "template file")
    if name.strip() and name.strip() != spec.name:
        obj: dict[str, Any] = json.loads(text)
        obj["name"] = name.strip()
        spec = template_from_dict(obj, source=name.strip())
    if len(spec.name) > MAX_NAME_CHARS:
        raise ValidationError(
            f"template name must be at most {MAX_NAME_CHARS} characters", field="name"
        )
    digest = checksum(spec)
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        row = session.scalars(
            select(Template).where(Template.org_id == actor.org_id, Template.name == spec.name)
        ).first()
        before = None
        if row is None:
            row = _new_template(session, actor.org_id, spec)
            _add_version(session, row, spec, digest, 1, actor.user_id)
        else:
            if row.kind != spec.kind:
                raise ValidationError(
                    f"template {spec.name!r} is a {row.kind} template; the file is {spec.kind}",
                    field="kind",
                )
            current = _version_row(session, row.id, row.current_version)
            before = {"version": row.current_version}
            if current is not None and current.checksum == digest and row.archived_at is None:
                return _info(row)
            row.archived_at = None
            _add_version(session, row, spec, digest, row.current_version + 1, actor.user_id)
        audit.record(
            session,
            "template.import",
            actor=actor,
            target_type="template",
            target_id=row.id,
            before=before,
            after={"name": row.name, "kind": row.kind, "version": row.current_version},
        )
        return _info(row)


def export_template(app: App, actor: Actor, name: str, version: int | None = None) -> str:
    """A template (its current or a given version) as the JSON file format."""
    with app.tx() as session:
        _require_view(session, actor)
        row = find(session, actor.org_id, name)
        number = version or row.current_version
        stored = _version_row(session, row.id, number)
        if stored is None:
            raise NotFound(f"template {name!r} has no version {number}")
        return template_to_json(_spec(row.name, row.kind, stored))


def list_templates(app: App, actor: Actor, kind: str | None = None) -> list[TemplateInfo]:
    """Templates the org can print with: its own, then the built-ins it does not shadow."""
    with app.tx() as session:
        _require_view(session, actor)
        seed_builtins_once(session)
        stmt = select(Template).where(
            or_(Template.org_id == actor.org_id, Template.org_id.is_(None)),
            Template.archived_at.is_(None),
        )
        if kind:
            stmt = stmt.where(Template.kind == kind)
        rows = list(session.scalars(stmt.order_by(Template.kind, Template.name)))
        own = {r.name for r in rows if r.org_id is not None}
        return [_info(r) for r in rows if r.org_id is not None or r.name not in own]


@dataclass(frozen=True)
class TemplateVersionInfo:
    version: int
    created_at: datetime
    checksum: str


@dataclass(frozen=True)
class TemplateDetail:
    """A template with its versions and its current layout (the template file's JSON)."""

    id: int
    name: str
    kind: str
    builtin: bool
    current_version: int
    width_mm: float
    height_mm: float
    updated_at: datetime | None
    versions: list[TemplateVersionInfo]
    layout: dict[str, Any]


def show_template(app: App, actor: Actor, name: str) -> TemplateDetail:
    """Template `name` as the org sees it (its own, else the built-in), whole."""
    with app.tx() as session:
        _require_view(session, actor)
        row = find(session, actor.org_id, name)
        stored = list(
            session.scalars(
                select(TemplateVersion)
                .where(TemplateVersion.template_id == row.id)
                .order_by(TemplateVersion.version)
            )
        )
        current = next(v for v in stored if v.version == row.current_version)
        info = _info(row)
        return TemplateDetail(
            id=info.id,
            name=info.name,
            kind=info.kind,
            builtin=info.builtin,
            current_version=info.current_version,
            width_mm=info.width_mm,
            height_mm=info.height_mm,
            updated_at=info.updated_at,
            versions=[TemplateVersionInfo(v.version, v.created_at, v.checksum) for v in stored],
            layout=json.loads(template_to_json(_spec(row.name, row.kind, current))),
        )


def versions(app: App, actor: Actor, name: str) -> list[tuple[int, datetime, str]]:
    """(version, created at, checksum) of every version of a template, oldest first."""
    with app.tx() as session:
        _require_view(session, actor)
        row = find(session, actor.org_id, name)
        return [
            (v.version, v.created_at, v.checksum)
            for v in session.scalars(
                select(TemplateVersion)
                .where(TemplateVersion.template_id == row.id)
                .order_by(TemplateVersion.version)
            )
        ]


# ---------------------------------------------------------------- helpers


def _require_view(session: Session, actor: Actor) -> None:
    held = authz.permissions_of(session, actor)
    if not held & {"print.run", "settings.manage"}:
        authz.require(session, actor, "print.run")


def _new_template(session: Session, org_id: int | None, spec: TemplateSpec) -> Template:
    row = Template(
        org_id=org_id,
        name=spec.name,
        kind=spec.kind,
        width_mm=float(spec.width_mm),
        height_mm=float(spec.height_mm),
        current_version=0,
    )
    session.add(row)
    session.flush()
    return row


def _add_version(
    session: Session,
    row: Template,
    spec: TemplateSpec,
    digest: str,
    number: int,
    user_id: int | None,
) -> TemplateVersion:
    version = TemplateVersion(
        template_id=row.id,
        version=number,
        width_mm=float(spec.width_mm),
        height_mm=float(spec.height_mm),
        elements=[plain(e) for e in spec.elements],
        checksum=digest,
        created_by=user_id,
    )
    session.add(version)
    row.current_version = number
    row.width_mm, row.height_mm = float(spec.width_mm), float(spec.height_mm)
    session.flush()
    return version


def _version_row(session: Session, template_id: int, number: int) -> TemplateVersion | None:
    return session.scalars(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template_id, TemplateVersion.version == number
        )
    ).first()


def _info(row: Template) -> TemplateInfo:
    return TemplateInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        builtin=row.org_id is None,
        current_version=row.current_version,
        width_mm=row.width_mm,
        height_mm=row.height_mm,
        updated_at=row.updated_at,
    )


def as_mapping(info: TemplateInfo) -> Mapping[str, Any]:
    """JSON-friendly view for the CLI and API."""
    return {
        "name": info.name,
        "kind": info.kind,
        "builtin": info.builtin,
        "version": info.current_version,
        "size_mm": f"{info.width_mm:g}x{info.height_mm:g}",
    }
