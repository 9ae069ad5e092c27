"""POST /api/router: the gateway's common checks, then the API's handler.

Order of checks (each failure is an HTTP 200 `error_response`): `type` present →
`client_id` present (10001) and ours (10016) → `timestamp` whole seconds within 10 min
(10001) → `data_type`/`version` valid (10001) → `sign` present (10001) and right (20004)
→ `type` known (10017) → `access_token` for merchant APIs: present (10001), live (20032),
not expired (10019) → rate limits (70031/52101) → the handler (10000/50001 business
errors). The timestamp may match either the client's clock or the sandbox's advanced
clock: advancing simulated time must not break clients that sign with local time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

from plugins.platforms.pinduoduo.sandbox.auth import Token
from plugins.platforms.pinduoduo.sandbox.errors import ApiError
from plugins.platforms.pinduoduo.sign import SIGN_PARAM, sign_params, stringify

log = logging.getLogger("orderhub.pinduoduo.sandbox")


class RawList(list[bytes]):
    """A JSON array whose items are already-encoded JSON (pre-rendered orders)."""


class Raw(bytes):
    """One already-encoded JSON value."""


@dataclass
class Call:
    """One gateway call as a handler sees it: parameters as wire text, the shop, the time."""

    sandbox: Any  # state.Sandbox (not imported: the state module imports the handlers' users)
    api: str
    params: dict[str, str]
    token: Token | None
    now: int

    @property
    def owner_id(self) -> str:
        if self.token is None:
            raise RuntimeError(f"{self.api} needs a shop token")
        return self.token.owner_id

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.params.get(name, "")
        if value == "" and required:
            raise ApiError.param(f"{name} 不能为空")
        return value if value != "" else default

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        raw = self.params.get(name, "")
        if raw == "":
            if default is None:
                raise ApiError.param(f"{name} 不能为空")
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError.param(f"{name} 必须是整数，收到 {raw[:40]!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{'' if low is None else low}, {'' if high is None else high}]"
            raise ApiError.param(f"{name}={value} 超出范围 {bounds}")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self.params.get(name, "")
        if raw == "":
            return default
        if raw not in ("true", "false"):
            raise ApiError.param(f"{name} 必须是 true 或 false，收到 {raw[:40]!r}")
        return raw == "true"

    def json_value(self, name: str, *, required: bool = True) -> Any:
        raw = self.params.get(name, "")
        if raw == "":
            if required:
                raise ApiError.param(f"{name} 不能为空")
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError.param(f"{name} 不是合法的JSON") from None


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Api:
    name: str
    response_key: str
    handler: Handler
    needs_token: bool = True


def parse_body(content_type: str, body: bytes) -> dict[str, str]:
    """Form or JSON body → {name: wire text}. JSON values are stringified the way clients
    sign them (`sign.stringify`: compact JSON for objects, true/false for booleans)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError.common_param("body", "请求体不是UTF-8") from None
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            raise ApiError.common_param("body", "请求体不是合法的JSON") from None
        if not isinstance(data, dict):
            raise ApiError.common_param("body", "JSON请求体必须是对象")
        return {str(k): stringify(v) for k, v in data.items() if v is not None}
    return dict(parse_qsl(text, keep_blank_values=True))


class Gateway:
    def __init__(self, sandbox: Any, apis: Mapping[str, Api]) -> None:
        self.sandbox = sandbox
        self.apis = apis

    def dispatch(self, params: dict[str, str]) -> tuple[str, bytes]:
        """(api type, JSON body) for one parsed request; never raises ApiError."""
        sandbox = self.sandbox
        api_type = params.get("type", "")
        request_id = sandbox.request_id()
        try:
            with sandbox.lock:
                # Catch up on due activity under the same lock as the `now` this call uses,
                # so no change stamped at or before `now` can still be pending.
                now = sandbox.now()
                sandbox.tick(now)
                api, token = self._check_common(params, now)
                body = api.handler(Call(sandbox, api.name, params, token, now))
                if token is not None:
                    token.calls += 1
            return api_type, encode_success(api.response_key, body, request_id)
        except ApiError as error:
            return api_type, error.body(request_id)
        except Exception as exc:  # a sandbox bug: answer like the platform's 50000, log loudly
            log.exception("sandbox: %s failed on a request it should have handled", api_type)
            return api_type, ApiError(50000, "系统错误", sub_msg=repr(exc)[:200]).body(request_id)

    def _check_common(self, params: dict[str, str], now: int) -> tuple[Api, Token | None]:
        sandbox = self.sandbox
        config = sandbox.config
        for name in ("type", "client_id"):
            if not params.get(name):
                raise ApiError.common_param(name, f"缺少{name}")
        if params["client_id"] != config.client_id:
            raise ApiError(
                10016, "client_id不存在或已下线", sub_msg="client已下线或client_id不正确"
            )
        raw_ts = params.get("timestamp", "")
        if not raw_ts.isdigit():
            raise ApiError.common_param("timestamp", "timestamp必须是以秒为单位的Unix时间")
        stamp = int(raw_ts)
        tolerance = config.timestamp_tolerance
        if abs(stamp - now) > tolerance and abs(stamp - sandbox.clock.wall()) > tolerance:
            raise ApiError.common_param("timestamp", f"timestamp与系统时间相差超过{tolerance}秒")
        if params.get("data_type", "JSON") != "JSON":
            raise ApiError.common_param("data_type", "data_type只能是JSON（沙箱不提供XML）")
        if params.get("version", "V1") != "V1":
            raise ApiError.common_param("version", "version只能是V1")
        sign = params.get(SIGN_PARAM, "")
        if not sign:
            raise ApiError.common_param(SIGN_PARAM, "缺少sign")
        if sign != sign_params(params, config.client_secret):
            raise ApiError(20004, "签名sign校验失败")
        api = self.apis.get(params["type"])
        if api is None:
            raise ApiError(10017, "type参数错误:接口不存在", sub_msg=params["type"][:80])
        token = None
        if api.needs_token:
            access_token = params.get("access_token", "")
            if not access_token:
                raise ApiError.common_param("access_token", f"{api.name}需要access_token")
            token = sandbox.auth.check(access_token, now)
            if sandbox.faults.token_expires_now(api.name, token.calls):
                token.expires_at = now
                raise ApiError(10019, "access_token已过期")
        sandbox.limiter.check(api.name, token.owner_id if token else None)
        return api, token


def encode_success(key: str, body: Mapping[str, Any], request_id: str) -> bytes:
    """`{"<key>": {...body, "request_id": ...}}`, splicing pre-rendered JSON lists in."""
    parts = []
    for name, value in body.items():
        if isinstance(value, RawList):
            encoded = b"[" + b",".join(value) + b"]"
        elif isinstance(value, Raw):
            encoded = bytes(value)
        else:
            encoded = orjson.dumps(value)
        parts.append(b'"' + name.encode() + b'":' + encoded)
    parts.append(b'"request_id":"' + request_id.encode() + b'"')
    return b'{"' + key.encode() + b'":{' + b",".join(parts) + b"}}"
