"""Every API error is JSON: 400 with field errors for bad input, 403, 404, 409 with reasons; never
an HTML page. Unexpected errors are logged and answered with a JSON 500."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ltc_portal.core.api.parsers import PayloadTooLarge
from ltc_portal.core.fsm import TransitionRefused, UnknownTransition
from ltc_portal.core.models import AppendOnlyError

logger = logging.getLogger("ltc_portal.api")


def django_validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=django_validation_detail(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = ParseError(_("The request sends more fields or files than the portal accepts."))
    elif isinstance(exc, RecursionError):
        exc = ParseError(_("JSON parse error - the body is nested too deeply."))
    elif isinstance(exc, TransitionRefused):
        return Response({"detail": exc.detail, "reasons": exc.reasons}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, ConcurrentTransition):
        return Response(
            {
                "detail": _("The record changed while you were working on it; reload and try again."),
                "reasons": [str(exc)],
            },
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, UnknownTransition):
        return Response(
            {"detail": _("No such transition: %(name)s.") % {"name": str(exc)}}, status=status.HTTP_404_NOT_FOUND
        )
    elif isinstance(exc, (ProtectedError, AppendOnlyError)):
        return Response(
            {"detail": _("This record is kept and cannot be changed or removed this way.")},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error in API: %s", exc)
        return Response({"detail": _("The change conflicts with existing data.")}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, (Http404, PermissionDenied)):
        pass  # DRF turns these into 404 / 403
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"detail": _("Internal error. It has been logged.")}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )
    return response


def json_or_html(path: str) -> bool:
    return path.startswith("/api/")


def api_not_found(request, exception=None):
    return JsonResponse({"detail": _("Not found.")}, status=404)


def api_server_error(request):
    return JsonResponse({"detail": _("Internal error. It has been logged.")}, status=500)
