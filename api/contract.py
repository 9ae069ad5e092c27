"""Each route declared once; the Starlette routes and the OpenAPI 3.1 document both derive
from the declarations, so the two cannot drift apart (a test compares them).

An `Operation` names its path, method, summary, the permission it needs (documentation
only: core's services check it), and msgspec Structs for the query string, the request
body and the response. Decoding and validation are msgspec's; a decoding error becomes a
422 problem naming the field (`api.problems`). Handlers are plain synchronous functions
`(call) -> Struct`, run in the thread pool because core's services are synchronous.

A handler may instead return a `Reply` (its own status and headers: `ETag`, `Location`),
`Raw` bytes (CSV, XLSX, PNG; the media types are declared in `produces`) or an
`EventStream` (server-sent events, declared with `stream=True`). Request headers an
operation reads (`If-Match`, `Idempotency-Key`) are declared in `headers` so the document
lists them. `links` declare OpenAPI links from a success answer to another operation (a
search's first order number into the order's detail): clients may follow them, and the
schemathesis harness (tests/api/test_schema_fuzz.py) chains calls along them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from api.paths import path_type
from core import errors
from core.actor import Actor
from core.app import App


@dataclass(frozen=True)
class Call:
    """What a handler gets: the core app, the actor, and the decoded input."""

    app: App
    actor: Actor | None
    path: dict[str, Any]
    query: Any
    body: Any
    client: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Header:
    """A request header an operation reads (documented as a header parameter)."""

    name: str
    description: str
    required: bool = False


IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "a key of your choosing (a UUID) that makes retrying safe: the same key with the same "
    "request within 24 h answers the first answer again; with a different request, 422",
)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: the success answer gives `target`'s parameters, each a runtime
    expression, e.g. `{"number": "$response.body#/items/0/order_no"}`."""

    name: str
    target: Callable[[Call], Any]  # the other operation's handler
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class Reply:
    """A JSON answer whose status or headers the handler sets (`ETag`, `Location`)."""

    body: Any
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Raw:
    """A non-JSON answer: a file (CSV, XLSX) or an image (PNG)."""

    content: bytes
    media_type: str
    filename: str | None = None  # sent as Content-Disposition: attachment


@dataclass(frozen=True)
class EventStream:
    """Server-sent events: `(event name, JSON-encodable data)` pairs, pulled one at a time
    in the thread pool until the iterator ends or the client goes away. `None` sends a
    keep-alive comment (clients ignore it): while nothing happens, it is how the server
    finds out that the client left, and proxies keep the connection open."""

    events: Iterator[tuple[str, Any] | None]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    handler: Callable[[Call], Any]
    response: type | None
    request: type | None = None
    query: type | None = None
    permission: str | None = None
    authenticated: bool = True
    status: int = 200
    tags: tuple[str, ...] = ()
    errors: tuple[int, ...] = field(default=())
    headers: tuple[Header, ...] = ()
    produces: tuple[str, ...] = ()  # media types answered besides JSON (`Raw`)
    #: Answers text/event-stream (`EventStream`); `response`, if given, types each event's data.
    stream: bool = False
    #: Honours an `Idempotency-Key` header: a retry with the same key and request gets the
    #: first answer again (`api.idempotency`); the header is declared by this flag.
    idempotent: bool = False
    links: tuple[Link, ...] = ()  # to other operations, from the success answer

    @property
    def operation_id(self) -> str:
        return self.handler.__name__.lstrip("_")


@dataclass(frozen=True)
class Encoded:
    """A JSON answer already encoded (an idempotent request's answer, stored or replayed)."""

    content: bytes | None
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)


def encode_json(op: Operation, result: Any) -> Encoded:
    """A handler's JSON result (a Struct, a dataclass, a `Reply` or None) as bytes."""
    status, headers = op.status, {}
    if isinstance(result, Reply):
        status, headers, result = result.status or op.status, dict(result.headers), result.body
    content = None if result is None else msgspec.json.encode(result)
    return Encoded(content, status, headers)


class Registry:
    """The API's operations, in declaration order."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def add(self, operation: Operation) -> None:
        for op in self.operations:
            if (op.method, op.path) == (operation.method, operation.path):
                raise ValueError(f"{operation.method} {operation.path} is declared twice")
        self.operations.append(operation)


def decode_path(params: dict[str, str]) -> dict[str, Any]:
    """The path parameters converted to their conventional types (`api.paths`)."""
    decoded: dict[str, Any] = {}
    for name, raw in params.items():
        try:
            decoded[name] = msgspec.convert(raw, path_type(name), strict=False)
        except msgspec.ValidationError as error:
            raise decode_error(error, name) from None
    return decoded


_FIELD_AT = re.compile(r"(?:at|in) `\$\.([A-Za-z_][\w]*)(?:\[(\d+)\])?")
_FIELD_REQUIRED = re.compile(r"(?:required|unknown) field `(\w+)`")


def decode_error(
    error: msgspec.ValidationError | msgspec.DecodeError, where: str
) -> errors.ValidationError:
    """A msgspec error as a core ValidationError naming the offending field."""
    text = str(error)
    name = None
    if (m := _FIELD_REQUIRED.search(text)) or (m := _FIELD_AT.search(text)):
        name = m.group(1)
    message = text.replace("`$.", "`").replace("$", where)
    return errors.ValidationError(f"{where}: {message}", field=name or where)


#: A JSON `\u0000` escape (not an escaped backslash followed by `u0000`)
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _refuse_nul(values: Mapping[str, str], where: str) -> None:
    """No text with NUL reaches core: PostgreSQL's text cannot hold it (a 500 otherwise),
    and no name, code or note has one (path parameters: `PathText` refuses it)."""
    for name, value in values.items():
        if "\x00" in name or "\x00" in value:
            raise errors.ValidationError(
                f"{where}: {name[:40]!r} holds a NUL character", field=name.replace("\x00", "")
            )


def decode_body(op: Operation, raw: bytes) -> Any:
    if op.request is None:
        return None
    if _NUL_ESCAPE.search(raw):
        raise errors.ValidationError("body: a string holds a NUL character (\\u0000)", field="body")
    try:
        return msgspec.json.decode(raw or b"null", type=op.request)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise decode_error(error, "body") from None


def decode_query(op: Operation, params: dict[str, str]) -> Any:
    if op.query is None:
        return None
    _refuse_nul(params, "query")
    try:
        return msgspec.convert(params, op.query, strict=False)
    except msgspec.ValidationError as error:
        raise decode_error(error, "query") from None


def openapi(registry: Registry, *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the registry (schemas: msgspec's JSON Schema 2020-12)."""
    types = [t for op in registry.operations for t in (op.request, op.response, op.query) if t]
    refs, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    schema_of = dict(zip(types, refs, strict=True))
    components["Problem"] = _PROBLEM
    paths: dict[str, dict[str, Any]] = {}
    known = {op.handler for op in registry.operations}
    for op in registry.operations:
        for link in op.links:
            if link.target not in known:
                raise ValueError(f"{op.method} {op.path}: link {link.name!r} to no declared route")
    for op in registry.operations:
        item: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": list(op.tags),
            "parameters": _parameters(op, components, schema_of),
            "responses": _responses(op, schema_of),
        }
        if op.permission:
            item["description"] = f"Needs the `{op.permission}` permission."
        if op.request is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_of[op.request]}},
            }
        item["security"] = [{"bearer": []}] if op.authenticated else []
        paths.setdefault(op.path, {})[op.method.lower()] = item
    for op in registry.operations:  # query Structs are spelled out as parameters
        if op.query is not None:
            components.pop(schema_of[op.query]["$ref"].rsplit("/", 1)[1], None)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _parameters(
    op: Operation, components: dict[str, Any], schema_of: dict[type, Any]
) -> list[dict[str, Any]]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": msgspec.json.schema(path_type(name)),
        }
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    if op.query is not None:
        name = schema_of[op.query]["$ref"].rsplit("/", 1)[1]
        spec = components[name]
        for prop, schema in spec.get("properties", {}).items():
            params.append(
                {
                    "name": prop,
                    "in": "query",
                    "required": prop in spec.get("required", ()),
                    "schema": schema,
                }
            )
    for header in (*op.headers, *((IDEMPOTENCY_KEY,) if op.idempotent else ())):
        params.append(
            {
                "name": header.name,
                "in": "header",
                "required": header.required,
                "description": header.description,
                "schema": {"type": "string"},
            }
        )
    return params


def _responses(op: Operation, schema_of: dict[type, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "success"}
    content: dict[str, Any] = {}
    if op.response is not None and not op.stream:
        content["application/json"] = {"schema": schema_of[op.response]}
    for media_type in op.produces:
        content[media_type] = {"schema": {"type": "string", "contentMediaType": media_type}}
    if op.stream:
        content["text/event-stream"] = {"schema": _event_schema(op, schema_of)}
    if content:
        ok["content"] = content
    if op.links:
        ok["links"] = {
            link.name: {
                "operationId": link.target.__name__.lstrip("_"),
                "parameters": dict(link.parameters),
            }
            for link in op.links
        }
    out: dict[str, Any] = {str(op.status): ok}
    problem = {
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    }
    codes = {413, 422, 429, 500, *op.errors}
    if op.idempotent:
        codes.add(409)  # idempotency_in_progress
    if op.authenticated:
        codes |= {401, 403}
    for code in sorted(codes):
        out[str(code)] = {"description": "problem (RFC 9457)", **problem}
    return out


def _event_schema(op: Operation, schema_of: dict[type, Any]) -> dict[str, Any]:
    """One server-sent event (OpenAPI 3.1: the schema describes each event); with a
    `response` type, an event's `data` is that type as JSON."""
    data: dict[str, Any] = {"type": "string"}
    if op.response is not None:
        data = {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": schema_of[op.response],
        }
    return {
        "type": "object",
        "properties": {
            "event": {"type": "string"},
            "data": data,
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
    }


_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "row": {"type": "integer"},
    },
}
