"""The REST API as an OpenAPI 3.1 document, built from the same pydantic models that parse and
shape the requests and responses, so the document cannot drift from the code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from server.protocol import (
    AttendanceQuery,
    CheckOutRequest,
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
    CheckOutRequest,
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


def _path_params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in names]


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Query parameters described by the pydantic model that parses them."""
    schema = model.model_json_schema()
    return [{"name": name, "in": "query", "required": False, "schema": prop}
            for name, prop in schema["properties"].items()]


def _described(
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
                      **_errors(*errors)},
    }
    if admin:
        op["security"] = [{"adminKey": []}]
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(body)}
    return op


_ANY_JSON = {"application/json": {"schema": {"type": "object"}}}
_EXPORT = {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}},
}


def _feature_paths() -> dict[str, Any]:
    """Attendance and whiteboard endpoints (docs/PROTOCOL.md gives their answers in full)."""
    q = _query_params(AttendanceQuery)
    return {
        "/api/attendance/check-out": {"post": _described(
            "Rate a session after leaving (the participant's resume credential says who)",
            200, "the rating was recorded", _ANY_JSON, (400, 401, 404, 409, 413), [],
            admin=False, body=CheckOutRequest)},
        "/api/attendance/sessions": {"get": _described(
            "Sessions with attendance, newest first", 200, "a list of sessions", _ANY_JSON,
            (400, 401), q)},
        "/api/attendance/sessions/{session_id}": {"get": _described(
            "One session's attendance, per person and per room", 200, "the report", _ANY_JSON,
            (400, 401, 404), _path_params("session_id"))},
        "/api/attendance/sessions/{session_id}/export": {"get": _described(
            "One session's attendance as CSV, JSON or XLSX (streamed)", 200,
            "rows of the chosen view; columns in README.md", _EXPORT, (400, 401, 404),
            _path_params("session_id") + q)},
        "/api/attendance/export": {"get": _described(
            "Attendance across sessions (by dates and programme) as CSV, JSON or XLSX",
            200, "rows of the chosen view; columns in README.md", _EXPORT, (400, 401), q)},
        "/api/attendance/programmes/{programme}": {"get": _described(
            "A programme's summary per person across its sessions", 200, "the summary",
            _ANY_JSON, (400, 401, 404), _path_params("programme") + q)},
        "/api/attendance/people/{person_id}": {"delete": _described(
            "Delete one person's records in every session", 200, "what was deleted",
            _ANY_JSON, (400, 401), _path_params("person_id"))},
        "/api/attendance/sessions/{session_id}/participants/{participant_id}": {
            "delete": _described(
                "Delete one participant's records in one session", 200, "what was deleted",
                _ANY_JSON, (400, 401, 404), _path_params("session_id", "participant_id"))},
        "/api/sessions/{session_id}/boards": {
            "get": _described("The session's whiteboards", 200, "one entry per room's board",
                              _ANY_JSON, (401, 404), _path_params("session_id")),
            "delete": _described("Delete the session's whiteboards", 200, "what was deleted",
                                 _ANY_JSON, (401, 404), _path_params("session_id")),
        },
        "/api/sessions/{session_id}/boards/{room}": {"get": _described(
            "One whiteboard's items as JSON", 200, "the board's items", _ANY_JSON, (401, 404),
            _path_params("session_id", "room"))},
    }


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
            **_feature_paths(),
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
