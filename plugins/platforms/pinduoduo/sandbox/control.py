"""`/_sandbox/…`: JSON control endpoints for tests and the demo (not Pinduoduo's protocol).

    GET  /_sandbox                       summary: clock, shops, counts, faults
    POST /_sandbox/codes                 {owner_id?} → an authorization code
    POST /_sandbox/grants                {owner_id?} → a token answer (code flow skipped)
    POST /_sandbox/tokens/expire         {access_token? | owner_id?} → how many expired
    GET  /_sandbox/orders                ?owner_id=&summary=1 → every order's latest state
    POST /_sandbox/orders                {count?, owner_id?} → new paid orders, now
    GET  /_sandbox/orders/{sn}           one order's latest state
    POST /_sandbox/orders/{sn}/update    {remark?, remark_tag?, buyer_memo?, risk_control_status?, ship_hold?}
    POST /_sandbox/orders/{sn}/refund    {refund_status, after_sales_status?}
    POST /_sandbox/orders/{sn}/ship      {logistics_id?, tracking_number?}
    POST /_sandbox/orders/{sn}/receive
    POST /_sandbox/orders/{sn}/garble    {on?: true, touch?: true} → plant/remove an unreadable price
    POST /_sandbox/clock/advance         {seconds}
    GET  /_sandbox/faults                rules and injected-fault counters
    PUT  /_sandbox/faults                {spec: "500=0.1,…"} or {rules: […], seed, delay, token_expiry}
    PUT  /_sandbox/moving                {per_page, mode?}: change orders during paging
    PUT  /_sandbox/rate-limits           {enabled}
    GET  /_sandbox/waybills              ?owner_id= → issued waybills
    GET  /_sandbox/shipments             online.send per order: calls, applied, repeat, refused
    POST /_sandbox/reset                 {seed?, orders?, shops?, history_days?} → regenerate

Errors are `{"error": "..."}` with 400 (bad input) or 404 (unknown order or shop).
"""  # noqa: E501

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from plugins.platforms.pinduoduo.sandbox.faults import FaultSpec, FaultSpecError
from plugins.platforms.pinduoduo.sandbox.store import UnknownOrder

RESETTABLE = ("seed", "orders", "shops", "history_days", "new_orders_per_hour", "updates_per_hour")


class BadRequest(Exception):
    pass


def _endpoint(work: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
    """Parse the JSON body, run `work(sandbox, body, request)` off the event loop, map errors."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise BadRequest("the body must be a JSON object")
            result = await run_in_threadpool(work, request.app.state.sandbox, body, request)
        except (UnknownOrder, KeyError) as exc:
            return JSONResponse({"error": f"not found: {exc.args[0] if exc.args else exc}"}, 404)
        except (BadRequest, FaultSpecError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return endpoint


def _summary(sandbox: Any, body: dict, request: Request) -> Any:
    sandbox.tick()
    return sandbox.summary()


def _code(sandbox: Any, body: dict, request: Request) -> Any:
    owner_id = body.get("owner_id")
    return {"code": sandbox.issue_code(owner_id), "owner_id": sandbox.shop(owner_id).owner_id}


def _grant(sandbox: Any, body: dict, request: Request) -> Any:
    return sandbox.grant(body.get("owner_id"))


def _expire(sandbox: Any, body: dict, request: Request) -> Any:
    return {"expired": sandbox.expire_tokens(body.get("access_token"), body.get("owner_id"))}


def _orders(sandbox: Any, body: dict, request: Request) -> Any:
    owner_id = request.query_params.get("owner_id")
    if owner_id:
        sandbox.shop(owner_id)
    summary = request.query_params.get("summary", "") not in ("", "0", "false")
    return Response(
        sandbox.ground_truth_json(owner_id, summary=summary), media_type="application/json"
    )


def _add_orders(sandbox: Any, body: dict, request: Request) -> Any:
    count = _int(body.get("count", 1), "count", 1, 100_000)
    return {"order_sns": sandbox.add_orders(count, body.get("owner_id"))}


def _one(sandbox: Any, body: dict, request: Request) -> Any:
    sn = request.path_params["sn"]
    return sandbox.store.get(sn).ground_truth(sandbox.cipher)


def _change(kind: str) -> Callable[..., Any]:
    def work(sandbox: Any, body: dict, request: Request) -> Any:
        sn = request.path_params["sn"]
        if kind == "update":
            order = sandbox.update(sn, **body)
        elif kind == "refund":
            status = _int(body.get("refund_status"), "refund_status", 1, 4)
            after = body.get("after_sales_status")
            order = sandbox.refund(sn, status, None if after is None else int(after))
        elif kind == "garble":
            order = sandbox.garble(
                sn, bool(body.get("on", True)), touch=bool(body.get("touch", True))
            )
        elif kind == "ship":
            order = sandbox.ship(sn, body.get("logistics_id"), body.get("tracking_number"))
        else:
            order = sandbox.receive(sn)
        return order.ground_truth(sandbox.cipher)

    return work


def _advance(sandbox: Any, body: dict, request: Request) -> Any:
    sandbox.advance(_int(body.get("seconds"), "seconds", 0, 10 * 365 * 86400))
    return sandbox.summary()


def _faults(sandbox: Any, body: dict, request: Request) -> Any:
    if request.method == "PUT":
        sandbox.set_faults(FaultSpec.from_json(body))
    return sandbox.faults.report()


def _moving(sandbox: Any, body: dict, request: Request) -> Any:
    sandbox.set_moving(
        _int(body.get("per_page", 0), "per_page", 0, 100), str(body.get("mode", "into_window"))
    )
    return {"per_page": sandbox.mutate_per_page, "mode": sandbox.mutate_mode}


def _rate_limits(sandbox: Any, body: dict, request: Request) -> Any:
    if not isinstance(body.get("enabled"), bool):
        raise BadRequest("enabled must be true or false")
    sandbox.limiter.enabled = body["enabled"]
    return {"enabled": sandbox.limiter.enabled}


def _waybills(sandbox: Any, body: dict, request: Request) -> Any:
    owner_id = request.query_params.get("owner_id")
    with sandbox.lock:
        return {
            "waybills": [
                asdict(w)
                for w in sandbox.waybills.waybills.values()
                if owner_id is None or w.owner_id == owner_id
            ]
        }


def _shipments(sandbox: Any, body: dict, request: Request) -> Any:
    counts = sandbox.shipments()
    totals: dict[str, int] = {}
    for item in counts.values():
        for key, n in item.items():
            totals[key] = totals.get(key, 0) + n
    return {"orders": counts, "totals": totals}


def _reset(sandbox: Any, body: dict, request: Request) -> Any:
    unknown = set(body) - set(RESETTABLE)
    if unknown:
        raise BadRequest(f"cannot reset {', '.join(sorted(unknown))}; allowed: {RESETTABLE}")
    sandbox.reset(**body)
    return sandbox.summary()


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name} must be an integer in [{low}, {high}], not {value!r}")
    return value


ROUTES = [
    Route("/_sandbox", _endpoint(_summary), methods=["GET"]),
    Route("/_sandbox/codes", _endpoint(_code), methods=["POST"]),
    Route("/_sandbox/grants", _endpoint(_grant), methods=["POST"]),
    Route("/_sandbox/tokens/expire", _endpoint(_expire), methods=["POST"]),
    Route("/_sandbox/orders", _endpoint(_orders), methods=["GET"]),
    Route("/_sandbox/orders", _endpoint(_add_orders), methods=["POST"]),
    Route("/_sandbox/orders/{sn}", _endpoint(_one), methods=["GET"]),
    *(
        Route(f"/_sandbox/orders/{{sn}}/{kind}", _endpoint(_change(kind)), methods=["POST"])
        for kind in ("update", "refund", "ship", "receive", "garble")
    ),
    Route("/_sandbox/clock/advance", _endpoint(_advance), methods=["POST"]),
    Route("/_sandbox/faults", _endpoint(_faults), methods=["GET", "PUT"]),
    Route("/_sandbox/moving", _endpoint(_moving), methods=["PUT"]),
    Route("/_sandbox/rate-limits", _endpoint(_rate_limits), methods=["PUT"]),
    Route("/_sandbox/waybills", _endpoint(_waybills), methods=["GET"]),
    Route("/_sandbox/shipments", _endpoint(_shipments), methods=["GET"]),
    Route("/_sandbox/reset", _endpoint(_reset), methods=["POST"]),
]
