"""Templates in the database on both backends: built-ins seeded once, immutable versions,
import/export, clear errors for malformed templates, unknown fields and oversized images —
and nothing stored when a file is refused."""

from __future__ import annotations

import io
import json
import random
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Template, TemplateVersion
from core.printing import template_store
from core.templates import builtin_templates, encode_image, template_to_json
from tests.printing.rig import FIXTURES
from tests.rendering.limit_cases import FIELDS, NOT_FINITE, with_value

TEXT_LABEL = (FIXTURES / "label-text-76x130.json").read_text()


def counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        return (
            session.scalar(select(func.count()).select_from(Template)),
            session.scalar(select(func.count()).select_from(TemplateVersion)),
        )


def edited(**changes) -> str:  # type: ignore[no-untyped-def]
    obj = json.loads(TEXT_LABEL)
    obj.update(changes)
    return json.dumps(obj, ensure_ascii=False)


def test_built_ins_are_seeded_once_as_version_one(app, acme) -> None:
    listed = template_store.list_templates(app, acme.admin)
    assert {t.name for t in listed} == set(builtin_templates())
    assert {(t.builtin, t.current_version) for t in listed} == {(True, 1)}
    before = counts(app)
    with app.tx() as session:
        template_store.seed_builtins(session)
    template_store.list_templates(app, acme.admin)
    assert counts(app) == before == (len(builtin_templates()), len(builtin_templates()))


def test_a_changed_built_in_gets_a_new_version_and_the_old_one_stays(
    app, acme, monkeypatch
) -> None:
    with app.tx() as session:
        old = template_store.resolve(session, acme.org_id, "label-76x130", "label")
    shipped = dict(builtin_templates())
    spec = shipped["label-76x130"]
    shipped["label-76x130"] = replace(spec, elements=spec.elements[:-1])  # a new release
    monkeypatch.setattr(template_store, "builtin_templates", lambda: shipped)
    with app.tx() as session:
        new = template_store.resolve(session, acme.org_id, "label-76x130", "label")
        assert (old.version, new.version) == (1, 2)
        assert len(template_store.spec_of(session, old.id).elements) == len(spec.elements)
        assert len(template_store.spec_of(session, new.id).elements) == len(spec.elements) - 1


def test_a_seed_rolled_back_with_its_transaction_leaves_nothing(app, acme, monkeypatch) -> None:
    """The new version is added in a savepoint; on SQLite that savepoint must sit inside
    the caller's transaction (pysqlite would otherwise commit it on RELEASE)."""
    before = counts(app)
    shipped = dict(builtin_templates())
    spec = shipped["label-76x130"]
    shipped["label-76x130"] = replace(spec, elements=spec.elements[:-1])
    monkeypatch.setattr(template_store, "builtin_templates", lambda: shipped)
    with pytest.raises(RuntimeError), app.tx() as session:
        template_store.seed_builtins(session)
        raise RuntimeError("the caller's work failed after seeding")
    assert counts(app) == before


def test_an_import_is_validated_stored_versioned_and_exported_unchanged(app, acme) -> None:
    info = template_store.import_template(app, acme.admin, TEXT_LABEL)
    assert (info.name, info.kind, info.builtin, info.current_version) == (
        "label-text-76x130",
        "label",
        False,
        1,
    )
    assert template_store.import_template(app, acme.admin, TEXT_LABEL).current_version == 1
    bigger = json.loads(TEXT_LABEL)
    bigger["elements"].append({"type": "line", "x1": 3, "y1": 90, "x2": 70, "y2": 90})
    second = template_store.import_template(app, acme.admin, json.dumps(bigger))
    assert second.current_version == 2
    exported = json.loads(template_store.export_template(app, acme.admin, "label-text-76x130", 1))
    original = json.loads(TEXT_LABEL)
    assert exported["elements"] == original["elements"]
    assert exported["version"] == 1
    latest = json.loads(template_store.export_template(app, acme.admin, "label-text-76x130"))
    assert (latest["version"], len(latest["elements"])) == (2, len(original["elements"]) + 1)
    assert [v for v, _, _ in template_store.versions(app, acme.admin, "label-text-76x130")] == [
        1,
        2,
    ]


def test_stored_versions_cannot_be_changed_by_the_database_either(app, acme) -> None:
    template_store.import_template(app, acme.admin, TEXT_LABEL)
    with pytest.raises(DBAPIError, match="template_versions are immutable"), app.tx() as session:
        session.execute(text("UPDATE template_versions SET width_mm = 80"))


def test_an_org_template_shadows_the_built_in_for_that_org_only(app, acme, globex) -> None:
    mine = json.loads(template_to_json(builtin_templates()["label-76x130"]))
    mine["elements"] = mine["elements"][:3]
    template_store.import_template(app, acme.admin, json.dumps(mine, ensure_ascii=False))
    with app.tx() as session:
        ours = template_store.resolve(session, acme.org_id, "label-76x130", "label")
        theirs = template_store.resolve(session, globex.org_id, "label-76x130", "label")
        assert len(template_store.spec_of(session, ours.id).elements) == 3
        assert len(template_store.spec_of(session, theirs.id).elements) > 3
    listed = [t for t in template_store.list_templates(app, acme.admin) if t.name == "label-76x130"]
    assert [t.builtin for t in listed] == [False]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        (edited(format="something"), "not an orderhub template"),
        (edited(width_mm="wide"), "width_mm must be a number of millimetres"),
        (edited(colour="red"), "unknown key(s) colour"),
        (
            edited(
                elements=[
                    {
                        "type": "text",
                        "x": 1,
                        "y": 1,
                        "width": 20,
                        "height": 5,
                        "field": "receiver.shoe_size",
                    }
                ]
            ),
            "element 0 (text) field: unknown field 'receiver.shoe_size'",
        ),
        (
            edited(elements=[{"type": "sparkle", "x": 1, "y": 1}]),
            "element 0 (sparkle) type: unknown element type",
        ),
        (
            edited(
                elements=[
                    {
                        "type": "text",
                        "x": 60,
                        "y": 1,
                        "width": 30,
                        "height": 5,
                        "text": "x",
                        "colour": "red",
                    }
                ]
            ),
            "element 0 (text) colour: unknown key",
        ),
    ],
)
def test_malformed_templates_are_refused_naming_what_and_where(app, acme, content, words) -> None:
    before = counts(app)
    with pytest.raises(ValidationError) as caught:
        template_store.import_template(app, acme.admin, content)
    assert words in str(caught.value)
    assert counts(app) == before  # nothing half-written


def test_an_oversized_image_is_refused_with_the_limit(app, acme) -> None:
    noise = Image.frombytes("L", (900, 900), random.Random(4).randbytes(900 * 900))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 256 * 1024
    image = {
        "type": "image",
        "x": 1,
        "y": 1,
        "width": 20,
        "height": 20,
        "data": encode_image(buffer.getvalue()),
    }
    with pytest.raises(ValidationError, match=r"element 0 \(image\) data: image is [\d,]+ bytes"):
        template_store.import_template(app, acme.admin, edited(elements=[image]))
    huge = Image.new("1", (3000, 3000))
    buffer = io.BytesIO()
    huge.save(buffer, "PNG")
    image["data"] = encode_image(buffer.getvalue())
    with pytest.raises(ValidationError, match="at most 2,000,000 pixels"):
        template_store.import_template(app, acme.admin, edited(elements=[image]))


def test_kinds_must_match_and_unknown_names_list_the_known(app, acme) -> None:
    template_store.import_template(app, acme.admin, TEXT_LABEL)
    slip = edited(kind="packing_slip", elements=[])
    with pytest.raises(ValidationError, match="is a label template; the file is packing_slip"):
        template_store.import_template(app, acme.admin, slip)
    with app.tx() as session:
        with pytest.raises(ValidationError, match="is a label template; this job prints pick_list"):
            template_store.resolve(session, acme.org_id, "label-text-76x130", "pick_list")
        with pytest.raises(NotFound, match="no template named 'nope'; there are: label-100x150"):
            template_store.resolve(session, acme.org_id, "nope", "label")


def test_importing_needs_settings_manage(app, acme) -> None:
    operator = acme.staff("op-1", "print_operator")
    with pytest.raises(PermissionDenied):
        template_store.import_template(app, operator, TEXT_LABEL)
    assert template_store.list_templates(app, operator)  # operators may look


def test_every_out_of_range_number_is_refused_at_import_naming_where(app, acme) -> None:
    """Each numeric key of each element type, and the media size, with NaN, ±Infinity and
    1e308 (JSON's NaN/Infinity literals included): refused with the element and key in
    the message, and nothing stored."""
    template_store.import_template(app, acme.admin, TEXT_LABEL)
    before = counts(app)
    cases = [
        (edited(elements=[with_value(kind, key, value)]), f"element 0 ({kind}) {key}: ")
        for kind, key in FIELDS
        for value in (*NOT_FINITE, 1e308)
    ]
    cases += [
        (edited(**{key: value}), f"template file: {key}: ")
        for key in ("width_mm", "height_mm")
        for value in (*NOT_FINITE, 1e308, 100_000, 0)
    ]
    assert "NaN" in cases[0][0] and "Infinity" in cases[1][0]
    for content, where in cases:
        with pytest.raises(ValidationError) as caught:
            template_store.import_template(app, acme.admin, content)
        assert where in str(caught.value)
        assert any(w in str(caught.value) for w in ("out of range", "positive", "whole number"))
    assert counts(app) == before
    exported = json.loads(template_store.export_template(app, acme.admin, "label-text-76x130"))
    assert exported["version"] == 1


def test_a_template_nested_200000_levels_deep_is_one_clear_error(app, acme) -> None:
    before = counts(app)
    deep = TEXT_LABEL.replace(
        '"elements": [', '"elements": [' + "[" * 200_000 + "]" * 200_000 + ",", 1
    )
    with pytest.raises(ValidationError) as caught:
        template_store.import_template(app, acme.admin, deep)
    assert str(caught.value) == (
        "template file: JSON nested 200002 levels deep; a template nests at most 10"
    )
    assert counts(app) == before


def test_a_huge_page_is_refused_at_import_not_at_print(app, acme) -> None:
    with pytest.raises(ValidationError, match="width_mm: 100000 is out of range 10–600 mm"):
        template_store.import_template(app, acme.admin, edited(width_mm=100_000, height_mm=100_000))
