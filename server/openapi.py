"""The REST API as an OpenAPI 3.1 document, built from the same pydantic models that parse and
shape the requests and responses, so the document cannot drift from the code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from server.protocol import (
    CreateLinkRequest,
    CreateSessionRequest,
    ErrorBody,
    GroupsRequest,
    LinkOut,
    PreviewOut,
    PreviewRequest,
    SessionCreatedOut,
    SessionOut,
)

_MODELS: tuple[type[BaseModel], ...] = (
    CreateSessionRequest,
    CreateLinkRequest,
    PreviewRequest,
    GroupsRequest,
    SessionCreatedOut,
    SessionOut,
    LinkOut,
    PreviewOut,
    ErrorBody,
)
_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "invalid_payload: the body does not fit the schema",
        401: "unauthorized, or token_missing / token_invalid / token_expired",
        404: "session_not_found",
        409: "session_ended",
        413: "payload_too_large",
    }
    return {str(s): {"description": text[s], "content": _json(ErrorBody)} for s in statuses}


def _op(
    summary: str,
    ok: tuple[int, type[BaseModel]],
    errors: tuple[int, ...],
    body: type[BaseModel] | None = None,
    admin: bool = True,
    session_param: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(ok[0]): {"description": "success", "content": _json(ok[1])},
                      **_errors(*errors)},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(body)}
    if admin:
        op["security"] = [{"adminKey": []}]
    if session_param:
        op["parameters"] = [{"name": "session_id", "in": "path", "required": True,
                             "schema": {"type": "string"}}]
    return op


def build_openapi() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template=_REF, mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tandem",
            "version": "0.1.0",
            "description": "Mentoring sessions and their join links. The real-time part "
                           "(Socket.IO events) is described in docs/PROTOCOL.md.",
        },
        "paths": {
            "/api/sessions": {"post": _op(
                "Create a session and its join links", (201, SessionCreatedOut),
                (400, 401, 413), body=CreateSessionRequest)},
            "/api/sessions/{session_id}": {"get": _op(
                "A session and its participants", (200, SessionOut), (401, 404),
                session_param=True)},
            "/api/sessions/{session_id}/links": {"post": _op(
                "A new join link for a role", (201, LinkOut), (400, 401, 404, 409, 413),
                body=CreateLinkRequest, session_param=True)},
            "/api/sessions/{session_id}/end": {"post": _op(
                "End a session; everyone is disconnected", (200, SessionOut), (401, 404, 409),
                session_param=True)},
            "/api/sessions/{session_id}/groups": {"put": _op(
                "Replace the session's pre-defined groups (for breakout rooms)",
                (200, GroupsRequest), (400, 401, 404, 413), body=GroupsRequest,
                session_param=True)},
            "/api/join/preview": {"post": _op(
                "What a join link leads to (no admin key: the token is the credential)",
                (200, PreviewOut), (400, 401, 404, 409, 413), body=PreviewRequest,
                admin=False)},
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"adminKey": {"type": "http", "scheme": "bearer"}},
        },
    }
