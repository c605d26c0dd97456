"""Portal-wide pages: the role dashboard and the JSON error handlers for /api/ paths."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found, server_error

from .api.exceptions import api_not_found, api_server_error, body_too_large_text, json_or_html
from .dashboard import panels_for


@login_required
def home(request):
    return render(request, "core/home.html", {"panels": panels_for(request)})


def handler400(request, exception):
    """A body over the upload limit is 413 (JSON under /api/, a page elsewhere); other bad requests 400."""
    if isinstance(exception, RequestDataTooBig):
        if json_or_html(request.path):
            return JsonResponse({"detail": body_too_large_text()}, status=413)
        return render(request, "413.html", {"detail": body_too_large_text()}, status=413)
    if json_or_html(request.path):
        return JsonResponse({"detail": _("The request could not be understood.")}, status=400)
    return bad_request(request, exception)


def handler404(request, exception):
    if json_or_html(request.path):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


def handler500(request):
    if json_or_html(request.path):
        return api_server_error(request)
    return server_error(request)
