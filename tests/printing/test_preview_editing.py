"""PNG previews while editing (`core.printing.preview`): the test page lands where unsaved
offsets put it, a template being edited renders with sample data and changes with its
elements, bad input is a clear error, and looking needs print.run or settings.manage."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from core.errors import PermissionDenied, ValidationError
from core.printing.preview import preview_template, preview_test_page
from core.printing.printers import add_printer, get_printer
from core.printing.template_store import export_template


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("1")


def _first_black_column(image: Image.Image) -> int:
    box = image.point(lambda v: 255 - v).getbbox()  # bbox of the black pixels
    assert box is not None
    return box[0]


@pytest.fixture
def printer(app, acme, tmp_path):  # type: ignore[no-untyped-def]
    return add_printer(
        app,
        acme.admin,
        name="files",
        driver="file",
        settings={"folder": str(tmp_path)},
        media_mm=(60, 40),
    )


def test_the_test_page_moves_with_the_offsets_not_yet_saved(app, acme, printer) -> None:
    saved = preview_test_page(app, acme.admin, "files")
    moved = preview_test_page(app, acme.admin, "files", offset_x_mm=5.0, offset_y_mm=0.0)

    image, shifted = _image(saved.png), _image(moved.png)
    assert image.size == shifted.size == (round(60 / 25.4 * 100), round(40 / 25.4 * 100))
    assert (saved.width_mm, saved.height_mm, saved.dpi) == (60.0, 40.0, 100)
    step = _first_black_column(shifted) - _first_black_column(image)
    assert abs(step - round(5 / 25.4 * 100)) <= 1
    assert get_printer(app, acme.admin, "files").offset_x_mm == 0.0  # nothing stored

    with pytest.raises(ValidationError, match="dx 25 mm is more than ±20 mm"):
        preview_test_page(app, acme.admin, "files", offset_x_mm=25.0)


def test_a_template_being_edited_renders_with_sample_data(app, acme) -> None:
    template = json.loads(export_template(app, acme.admin, "label-76x130"))
    before = preview_template(app, acme.admin, template)
    assert (before.width_mm, before.height_mm) == (76.0, 130.0)

    moved = json.loads(json.dumps(template))
    assert moved["elements"][7]["text"] == "集包地"
    moved["elements"][7]["x"] += 5
    after = preview_template(app, acme.admin, moved)
    assert after.png != before.png
    assert _image(after.png).size == _image(before.png).size

    broken = json.loads(json.dumps(template))
    broken["elements"][0]["width"] = -4
    with pytest.raises(ValidationError, match="element 0"):
        preview_template(app, acme.admin, broken)


def test_previews_need_print_run_or_settings_manage(app, acme, printer) -> None:
    nobody = acme.staff("nobody")
    template = json.loads(export_template(app, acme.admin, "label-76x130"))
    with pytest.raises(PermissionDenied):
        preview_test_page(app, nobody, "files")
    with pytest.raises(PermissionDenied):
        preview_template(app, nobody, template)
    operator = acme.staff("printer", "print_operator")
    assert preview_test_page(app, operator, "files").png.startswith(b"\x89PNG")
