"""Templates over HTTP: the list (the org's own, then the built-ins it does not shadow),
one whole with its versions and layout, and its PNG preview (sample data, or an order's
with the receiver masked); 403, 404 and 422 naming the field."""

from __future__ import annotations

import io
from collections.abc import Iterator

import msgspec
import pytest
from httpx import Client as ApiClient
from PIL import Image

from api.routes import REGISTRY
from tests.api.conftest import assert_problem, login
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing.desk_world import PrintWorld, make_world
from tests.printing.rig import TEXT_TEMPLATE


@pytest.fixture
def world(app, acme) -> Iterator[PrintWorld]:  # type: ignore[no-untyped-def]
    with LoopbackPrinter() as listener:
        yield make_world(app, acme, listener)


def test_list_and_show(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    r = client.get("/v1/templates", headers=headers)
    assert r.status_code == 200, r.text
    found = {t["name"]: t for t in r.json()["items"]}
    assert {"label-76x130", "packing-slip-a4", "pick-list-a4", TEXT_TEMPLATE} <= set(found)
    assert found["label-76x130"]["builtin"] is True
    assert found[TEXT_TEMPLATE]["builtin"] is False
    labels = client.get("/v1/templates?kind=pick_list", headers=headers).json()["items"]
    assert {t["kind"] for t in labels} == {"pick_list"}

    r = client.get(f"/v1/templates/{TEXT_TEMPLATE}", headers=headers)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert (shown["name"], shown["kind"], shown["builtin"]) == (TEXT_TEMPLATE, "label", False)
    assert (shown["width_mm"], shown["height_mm"]) == (76.0, 130.0)
    assert [v["version"] for v in shown["versions"]] == [1]
    assert shown["layout"]["name"] == TEXT_TEMPLATE and shown["layout"]["elements"]


def test_preview_png(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    r = client.get("/v1/templates/label-76x130/preview.png", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(r.content))
    assert image.size == (round(76 / 25.4 * 100), round(130 / 25.4 * 100))
    url = f"/v1/templates/{TEXT_TEMPLATE}/preview.png"
    order = client.get(f"{url}?order=A-1&dpi=203", headers=headers)
    assert order.status_code == 200, order.text
    assert abs(Image.open(io.BytesIO(order.content)).size[0] - 76 / 25.4 * 203) <= 1
    sample = client.get(f"{url}?dpi=203", headers=headers)
    assert sample.content != order.content  # the order's own label, not the sample


def test_bad_input_permissions_and_other_orgs(client: ApiClient, world, acme, globex) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for url, name in (
        ("/v1/templates?kind=poster", "kind"),
        ("/v1/templates/label-76x130/preview.png?dpi=10", "dpi"),
        ("/v1/templates/label-76x130/preview.png?size=2", "size"),
    ):
        assert (
            assert_problem(client.get(url, headers=headers), 422, "validation_error")["field"]
            == name
        )
    assert_problem(client.get("/v1/templates/nope", headers=headers), 404, "not_found")
    assert_problem(client.get("/v1/templates/nope/preview.png", headers=headers), 404, "not_found")
    r = client.get("/v1/templates/label-76x130/preview.png?order=G-404", headers=headers)
    assert_problem(r, 404, "not_found")
    acme.staff("reader", "read_only")
    reader = login(client, "reader")
    for url in (
        "/v1/templates",
        "/v1/templates/label-76x130",
        "/v1/templates/label-76x130/preview.png",
    ):
        assert_problem(client.get(url, headers=reader), 403, "permission_denied")
    hank = login(client, "hank")
    names = {t["name"] for t in client.get("/v1/templates", headers=hank).json()["items"]}
    assert TEXT_TEMPLATE not in names and "label-76x130" in names
    assert_problem(client.get(f"/v1/templates/{TEXT_TEMPLATE}", headers=hank), 404, "not_found")
    r = client.get(f"/v1/templates/{TEXT_TEMPLATE}/preview.png", headers=hank)
    assert_problem(r, 404, "not_found")
    r = client.get("/v1/templates/label-76x130/preview.png?order=A-1", headers=hank)
    assert_problem(r, 404, "not_found")


def test_answers_decode_as_their_declared_types(client: ApiClient, world: PrintWorld) -> None:
    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    answers = {
        ("GET", "/v1/templates"): client.get("/v1/templates", headers=headers),
        ("GET", "/v1/templates/{name}"): client.get("/v1/templates/label-76x130", headers=headers),
    }
    for key, answer in answers.items():
        assert answer.status_code == ops[key].status, answer.text
        msgspec.json.decode(answer.content, type=ops[key].response, strict=True)
