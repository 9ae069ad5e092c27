"""Authorization codes and tokens, as the platform issues and checks them.

- A code is valid `code_ttl` seconds (10 minutes) and can be exchanged once.
- Authorizing a shop again revokes its earlier tokens (pinduoduo.md §2, second-hand).
- Refreshing issues a new access token and revokes the old one at once; the refresh token
  stays valid until its own expiry (the platform's rotation policy is undocumented, and a
  client that crashed after a refresh must still be able to recover).
- A revoked or unknown access token answers 20032, an expired one 10019.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from plugins.platforms.pinduoduo.sandbox.errors import ApiError

#: The APIs a sandbox token may call (the `scope` of the token answer).
SCOPE = (
    "pdd.order.number.list.increment.get",
    "pdd.order.list.get",
    "pdd.order.information.get",
    "pdd.order.status.get",
    "pdd.open.decrypt.batch",
    "pdd.open.decrypt.mask.batch",
    "pdd.logistics.companies.get",
    "pdd.logistics.online.send",
    "pdd.waybill.search",
    "pdd.waybill.get",
    "pdd.waybill.cancel",
    "pdd.waybill.query.by.waybillcode",
    "pdd.cloudprint.stdtemplates.get",
    "pdd.time.get",
)


@dataclass
class Token:
    access_token: str
    refresh_token: str
    owner_id: str
    expires_at: int
    refresh_expires_at: int
    calls: int = 0  # successful calls made with it (for the token-expiry fault)
    revoked: bool = False


@dataclass
class Code:
    owner_id: str
    expires_at: int
    used: bool = False


@dataclass
class AuthRegistry:
    token_ttl: int
    refresh_token_ttl: int
    code_ttl: int
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, Token] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()

    def issue_code(self, owner_id: str, now: int) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self.codes[code] = Code(owner_id, now + self.code_ttl)
        return code

    def exchange(self, code: str, now: int) -> Token:
        with self._lock:
            entry = self.codes.get(code)
            if entry is None:
                raise ApiError.business("授权码code无效", sub_code="invalid_code")
            if entry.used:
                raise ApiError.business("授权码code已使用", sub_code="code_used")
            if now > entry.expires_at:
                raise ApiError.business("授权码code已过期", sub_code="code_expired")
            entry.used = True
            for token in self.tokens.values():  # a new authorization replaces the old one
                if token.owner_id == entry.owner_id:
                    token.revoked = True
            for refresh in [
                r for r, t in self.refresh_tokens.items() if t.owner_id == entry.owner_id
            ]:
                del self.refresh_tokens[refresh]
            return self._issue(entry.owner_id, now, None)

    def refresh(self, refresh_token: str, now: int) -> Token:
        with self._lock:
            old = self.refresh_tokens.get(refresh_token)
            if old is None:
                raise ApiError.business("refresh_token无效", sub_code="invalid_refresh_token")
            if now > old.refresh_expires_at:
                raise ApiError.business("refresh_token已过期", sub_code="refresh_token_expired")
            for token in self.tokens.values():
                if token.refresh_token == refresh_token:
                    token.revoked = True
            return self._issue(old.owner_id, now, old)

    def _issue(self, owner_id: str, now: int, refreshed: Token | None) -> Token:
        token = Token(
            access_token=secrets.token_hex(16),
            refresh_token=refreshed.refresh_token if refreshed else secrets.token_hex(16),
            owner_id=owner_id,
            expires_at=now + self.token_ttl,
            refresh_expires_at=(
                refreshed.refresh_expires_at if refreshed else now + self.refresh_token_ttl
            ),
        )
        self.tokens[token.access_token] = token
        self.refresh_tokens[token.refresh_token] = token
        return token

    def check(self, access_token: str, now: int) -> Token:
        """The live token, or the gateway's error for a wrong or expired one."""
        token = self.tokens.get(access_token)
        if token is None or token.revoked:
            raise ApiError(20032, "access_token或client_id错误")
        if now >= token.expires_at:
            raise ApiError(10019, "access_token已过期")
        return token

    def expire(
        self, *, access_token: str | None = None, owner_id: str | None = None, now: int
    ) -> int:
        """Make matching live tokens expire now; how many did."""
        with self._lock:
            hits = [
                t
                for t in self.tokens.values()
                if not t.revoked
                and now < t.expires_at
                and (access_token is None or t.access_token == access_token)
                and (owner_id is None or t.owner_id == owner_id)
            ]
            for token in hits:
                token.expires_at = now
            return len(hits)

    def grant_body(self, token: Token, owner_name: str, now: int) -> dict[str, Any]:
        """The `pop_auth_token_*_response` fields (pinduoduo.md §2)."""
        expires_in = max(0, token.expires_at - now)
        body: dict[str, Any] = {
            "access_token": token.access_token,
            "expires_in": expires_in,
            "expires_at": token.expires_at,
            "refresh_token": token.refresh_token,
            "refresh_token_expires_in": max(0, token.refresh_expires_at - now),
            "refresh_token_expires_at": token.refresh_expires_at,
            "owner_id": token.owner_id,
            "owner_name": owner_name,
            "scope": list(SCOPE),
        }
        for level in ("r1", "r2", "w1", "w2"):
            body[f"{level}_expires_in"] = expires_in
            body[f"{level}_expires_at"] = token.expires_at
        return body

    # -- persistence --------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        with self._lock:
            return {
                "codes": {k: asdict(v) for k, v in self.codes.items()},
                "tokens": [asdict(t) for t in self.tokens.values()],
                "refresh_tokens": {r: t.access_token for r, t in self.refresh_tokens.items()},
            }

    def restore(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.codes = {k: Code(**v) for k, v in data.get("codes", {}).items()}
            self.tokens = {raw["access_token"]: Token(**raw) for raw in data.get("tokens", [])}
            self.refresh_tokens = {
                refresh: self.tokens[access]
                for refresh, access in data.get("refresh_tokens", {}).items()
            }
