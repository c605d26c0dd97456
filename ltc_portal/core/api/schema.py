"""drf-spectacular postprocessing: every operation may be answered 429 (the throttles), with Retry-After."""

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
