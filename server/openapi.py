"""The REST API as an OpenAPI 3.1 document, built from the same pydantic models that parse and
shape the requests and responses, so the document cannot drift from the code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from server.http import ErrorBody

_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _errors(*statuses: int, admin: bool = False) -> dict[str, Any]:
    text = {
        400: "invalid_payload (or payload_too_large for a field over its bound): the request "
             "does not fit the schema",
        401: "unauthorized, or token_missing / token_invalid / token_expired / resume_expired",
        403: "not_allowed: the credential's role may not do this",
        404: "session_not_found (or no_transcript: nothing of that kind is kept)",
        409: "session_ended (or illegal_transition / rating_closed for a rating; conflict: "
             "another admin changed it first, or it no longer allows this)",
        413: "payload_too_large: the body is over the request bound (64 KiB)",
        429: "rate_limited: too many wrong admin keys from this address within a minute",
        503: "not_recorded: the ledger could not commit; see docs/PROTOCOL.md",
    }
    if admin:  # every admin endpoint may refuse a wrong key, or an address that sent many
        statuses = tuple(sorted({*statuses, 401, 429}))
    return {str(s): {"description": text[s], "content": _json(ErrorBody)} for s in statuses}


def _op(
    summary: str,
    ok: tuple[int, type[BaseModel]],
    errors: tuple[int, ...],
    body: type[BaseModel] | None = None,
    admin: bool = True,
    session_param: bool = False,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(ok[0]): {"description": "success", "content": _json(ok[1])},
                      **_errors(*errors, admin=admin)},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(body)}
    if admin:
        op["security"] = [{"adminKey": []}]
    if session_param or parameters:
        op["parameters"] = (path_params("session_id") if session_param else []) + (
            parameters or [])
    return op


# What each path parameter may be (the handlers refuse anything else with invalid_payload).
ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
PATH_PATTERNS = {
    "session_id": ID_PATTERN,
    "participant_id": ID_PATTERN,
    "person_id": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$",
    "room": "^[A-Za-z0-9_:-]{1,64}$",
    # the programme console's ids (``server/programmes``): the alphabet of person ids
    "cohort": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$",
    "person": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$",
    "match": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$",
    "schedule": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$",
}


def path_params(*names: str) -> list[dict[str, Any]]:
    params = []
    for name in names:
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        if name in PATH_PATTERNS:
            schema["pattern"] = PATH_PATTERNS[name]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def query_params(model: type[BaseModel], *, without: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Query parameters described by the pydantic model that parses them, less ``without`` (a
    query value is never null: a parameter left out takes its default)."""
    schema = model.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        if name in without:
            continue
        prop = {k: v for k, v in prop.items() if k not in ("default", "title")}
        options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
        if len(options) == 1:
            prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **options[0]}
        elif options:
            prop["anyOf"] = options
        params.append({"name": name, "in": "query", "required": False, "schema": prop})
    return params


def described_operation(
    summary: str,
    ok_status: int,
    ok_description: str,
    ok_content: dict[str, Any],
    errors: tuple[int, ...],
    parameters: list[dict[str, Any]],
    admin: bool = True,
    body: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """An operation whose answer is documented in prose (docs/PROTOCOL.md) rather than by a
    model: reports and exports whose columns are listed in the README."""
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": parameters,
        "responses": {str(ok_status): {"description": ok_description, "content": ok_content},
                      **_errors(*errors, admin=admin)},
    }
    if admin:
        op["security"] = [{"adminKey": []}]
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(body)}
    return op


ANY_JSON = {"application/json": {"schema": {"type": "object"}}}
EXPORT = {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}},
}


@dataclass(slots=True)
class OpenApi:
    """The document under construction: features add their operations as they install."""

    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: list[type[BaseModel]] = field(default_factory=lambda: [ErrorBody])
    # Bounds that are settings of this server, added to a field's schema: model, field, bounds.
    bounds: list[tuple[type[BaseModel], str, dict[str, Any]]] = field(default_factory=list)

    def bound(self, model: type[BaseModel], name: str, **bounds: Any) -> None:
        """Give ``model``'s field ``name`` this server's ``bounds`` (``maximum=25``)."""
        self.bounds.append((model, name, bounds))

    def add(self, path: str, method: str, op: dict[str, Any],
            models: tuple[type[BaseModel] | None, ...]) -> None:
        """An operation written out whole (``op``), with the models its ``$ref``s name."""
        if method in self.paths.setdefault(path, {}):
            raise ValueError(f"{method.upper()} {path} is documented twice")
        self.paths[path][method] = op
        self.models.extend(m for m in models if m is not None and m not in self.models)

    def operation(self, path: str, method: str, summary: str,
                  ok: tuple[int, type[BaseModel]], errors: tuple[int, ...],
                  body: type[BaseModel] | None = None, admin: bool = True,
                  session_param: bool = False,
                  parameters: list[dict[str, Any]] | None = None) -> None:
        """An operation whose request and answer are pydantic models. Every ``{name}`` of the
        path is a path parameter; ``parameters`` adds query parameters (or describes a path
        parameter its own way)."""
        op = _op(summary, ok, errors, body, admin, session_param, parameters)
        given = {param["name"] for param in op.get("parameters", [])}
        missing = [n for n in re.findall(r"\{(\w+)\}", path) if n not in given]
        if missing:
            op["parameters"] = path_params(*missing) + op.get("parameters", [])
        self.add(path, method, op, (ok[1], body))

    def described(self, path: str, method: str, summary: str, ok_status: int,
                  ok_description: str, ok_content: dict[str, Any], errors: tuple[int, ...],
                  parameters: list[dict[str, Any]], admin: bool = True,
                  body: type[BaseModel] | None = None) -> None:
        """An operation whose answer is documented in prose (docs/PROTOCOL.md)."""
        self.add(path, method, described_operation(summary, ok_status, ok_description, ok_content,
                                           errors, parameters, admin, body), (body,))

    def document(self) -> dict[str, Any]:
        schemas: dict[str, Any] = {}
        for model in self.models:
            schema = model.model_json_schema(ref_template=_REF, mode="serialization")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        for model, name, bounds in self.bounds:
            prop = schemas[model.__name__]["properties"][name]
            for option in prop.get("anyOf", [prop]):
                if option.get("type") in ("integer", "number"):
                    option.update(bounds)
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "Tandem",
                "version": "0.1.0",
                "description": "Mentoring sessions and their join links. The real-time part "
                               "(Socket.IO events) is described in docs/PROTOCOL.md.",
            },
            "paths": dict(sorted(self.paths.items())),
            "components": {
                "schemas": schemas,
                "securitySchemes": {"adminKey": {"type": "http", "scheme": "bearer"}},
            },
        }
