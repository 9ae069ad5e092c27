"""GET /service-market/auth: the merchant consent page, sandbox edition.

Same path and query as the real page (`response_type=code&client_id&redirect_uri&state`,
optional `view`). With `owner_id` (or `shop`) in the query it approves at once for that
demo shop and redirects to `redirect_uri?code=…&state=…`; without it, it shows a tiny
page listing the demo shops, each a link that approves for it.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response


def authorize(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    query = request.query_params
    problems = []
    if query.get("client_id") != sandbox.config.client_id:
        problems.append("client_id 无效（应用不存在或已下线）")
    if query.get("response_type") != "code":
        problems.append("response_type 必须是 code")
    redirect_uri = query.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https") or not urlsplit(redirect_uri).netloc:
        problems.append("redirect_uri 必须是 http(s) 地址")
    owner_id = query.get("owner_id") or query.get("shop")
    if owner_id and owner_id not in sandbox.shops_by_id:
        problems.append(f"没有店铺 {owner_id}")
    if problems:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
        return HTMLResponse(_page("授权失败", f"<ul>{items}</ul>"), status_code=400)
    if owner_id:
        code = sandbox.issue_code(owner_id)
        extra = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return RedirectResponse(_with_query(redirect_uri, extra), status_code=302)
    rows = "".join(
        f'<li><a href="{html.escape(_with_query(str(request.url), {"owner_id": s.owner_id}))}">'
        f"授权给 {html.escape(s.owner_name)}（{s.owner_id}）</a></li>"
        for s in sandbox.shops
    )
    return HTMLResponse(_page("拼多多沙箱 · 店铺授权", f"<p>选择要授权的店铺：</p><ul>{rows}</ul>"))


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    return urlunsplit(parts._replace(query=urlencode([*query, *extra.items()])))


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
