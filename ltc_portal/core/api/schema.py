"""OpenAPI postprocessing (issue 11 §1, ST108): every operation also documents the error answers the
API gives — 400 field errors or ``{"detail"}``, 401, 403, 404, 405, 409 with reasons, 413, 415 — so the
schema describes every response, 4xx included — and 429 (the throttles), with Retry-After."""

ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": …}` (409 also `reasons`), or field errors: `{"field": ["message", …]}`.',
    "properties": {
        "detail": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}
ERRORS = {
    "400": "Bad input: field errors, or a malformed body or query.",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "Not found, or not visible to you.",
    "405": "Method not allowed.",
    "409": "The record's state refuses this (with the reasons).",
    "413": "The body is larger than the portal accepts.",
    "415": "Unsupported media type.",
}
METHODS = ("get", "put", "patch", "post", "delete")


class ComponentNameClash(Exception):
    """A serializer's component has the name of one this module adds (``Error``): every 4xx the hook
    documents would point at that serializer's schema instead (drf-spectacular does not see it)."""


def document_errors(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    if components.setdefault("Error", ERROR_SCHEMA) != ERROR_SCHEMA:
        raise ComponentNameClash(
            "A serializer's schema component is named 'Error', the generic error body's name: rename it."
        )
    ref = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(code, {"description": text, "content": {"application/json": {"schema": ref}}})
    return result


THROTTLED = {
    "description": "Too many requests: throttled. Retry after the number of seconds in Retry-After.",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}


def add_throttled_responses(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in ("get", "put", "patch", "post", "delete", "head", "options", "trace"):
                declared = operation.setdefault("responses", {}).setdefault("429", dict(THROTTLED))
                declared.setdefault("headers", THROTTLED["headers"])
    return result
