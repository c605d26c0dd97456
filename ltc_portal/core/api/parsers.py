"""The API's JSON parser: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused (413) before it is
read — DRF's parser reads the stream directly, past Django's own check — and JSON nested too deep for
Python's parser (``RecursionError``, not a ``ValueError``) is a 400 like any malformed body."""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


# The 413 of an oversized body (here, not in exceptions.py: DRF imports the parsers while its views
# module loads, which exceptions.py imports).
class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, detail=None, code=None):
        super().__init__(detail or body_too_large_text(), code)


def body_too_large_text() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return _("The request body is larger than the %(mb)s MB the portal accepts.") % {"mb": limit // (1024 * 1024)}


def body_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = body_limit()
        if limit is not None:
            request = (parser_context or {}).get("request")
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge()
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise PayloadTooLarge()
            stream = io.BytesIO(body)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from exc
