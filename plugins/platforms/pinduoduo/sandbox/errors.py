"""The gateway's `error_response` (pinduoduo.md §1.4), raised inside the sandbox.

Common failures use the published codes. Business refusals — a bad business parameter
(10000 参数错误) or an operation the platform declines (50001 业务服务错误) — carry the
reason in `sub_msg`, which is where clients seen in the wild look; the exact business
codes of the real gateway are not in our sources.
"""

from __future__ import annotations

import json
from typing import Any

PARAM_ERROR = 10000
BUSINESS_ERROR = 50001
ORDER_NOT_FOUND_TEXT = "订单不属于当前店铺或订单不存在"  # the order FAQ's wording


class ApiError(Exception):
    def __init__(
        self, code: int, message: str, *, sub_code: str | int | None = None, sub_msg: str = ""
    ) -> None:
        super().__init__(f"{code} {message} {sub_msg}".strip())
        self.code = code
        self.message = message
        self.sub_code = sub_code
        self.sub_msg = sub_msg

    @classmethod
    def common_param(cls, name: str, why: str = "") -> ApiError:
        """10001 `公共参数错误:<name>`."""
        return cls(10001, f"公共参数错误:{name}", sub_msg=why)

    @classmethod
    def param(cls, why: str) -> ApiError:
        """10000 参数错误 — a business parameter is missing or out of range."""
        return cls(PARAM_ERROR, "参数错误", sub_code=str(PARAM_ERROR), sub_msg=why)

    @classmethod
    def business(cls, why: str, *, sub_code: str | None = None) -> ApiError:
        """50001 — the platform refuses the operation; `why` says what to fix."""
        return cls(BUSINESS_ERROR, "业务服务错误", sub_code=sub_code, sub_msg=why)

    @classmethod
    def order_not_found(cls) -> ApiError:
        return cls(
            BUSINESS_ERROR, ORDER_NOT_FOUND_TEXT, sub_code="45001", sub_msg=ORDER_NOT_FOUND_TEXT
        )

    def envelope(self, request_id: str) -> dict[str, Any]:
        return {
            "error_response": {
                "error_msg": self.message,
                "sub_msg": self.sub_msg,
                "sub_code": self.sub_code,
                "error_code": self.code,
                "request_id": request_id,
            }
        }

    def body(self, request_id: str) -> bytes:
        return json.dumps(self.envelope(request_id), ensure_ascii=False).encode()


#: Texts of the rate-limit and degradation codes the fault injector and limiter send.
THROTTLE_MESSAGES = {
    52101: "当前接口被限流",
    52103: "服务暂时不可用",
    70031: "调用过于频繁",
}
