"""Portal-wide pages: the role dashboard and the JSON error handlers for /api/ paths."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import bad_request, page_not_found, server_error

from . import search as global_search
from .api.exceptions import api_not_found, api_server_error, json_or_html
from .api.parsers import body_too_large_text
from .dashboard import panel_for, panels_for


@login_required
def home(request):
    return render(request, "core/home.html", {"panels": panels_for(request), "refresh_seconds": PANEL_REFRESH_SECONDS})


#: the home's panels refresh themselves (htmx) this often
PANEL_REFRESH_SECONDS = 300


@login_required
def home_panel(request, key):
    """One panel of the home, for htmx to swap in (empty when it has nothing for the person now)."""
    panel = panel_for(request, key)
    if panel is None:
        raise Http404
    if panel["empty"]:
        return HttpResponse("")
    return render(request, panel["template"], {"panel": panel})


@login_required
def search(request):
    """The global search page: the hits grouped by type, each group linking to its records."""
    q = request.GET.get("q", "")
    error = ""
    try:
        groups = global_search.search(request.user, q)
        q = global_search.clean_query(q)
    except global_search.QueryRefused as exc:
        groups, error, q = [], str(exc), q.replace("\x00", "")[: global_search.MAX_QUERY]
    status = 400 if error else 200
    return render(
        request,
        "core/search.html",
        {"q": q, "groups": groups, "error": error, "per_type": global_search.PER_TYPE},
        status=status,
    )


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
