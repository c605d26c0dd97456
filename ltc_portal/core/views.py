"""Portal-wide pages: the role dashboard and the JSON error handlers for /api/ paths."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.defaults import page_not_found, server_error

from .api.exceptions import api_not_found, api_server_error, json_or_html
from .dashboard import panels_for


@login_required
def home(request):
    return render(request, "core/home.html", {"panels": panels_for(request)})


def handler404(request, exception):
    if json_or_html(request.path):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


def handler500(request):
    if json_or_html(request.path):
        return api_server_error(request)
    return server_error(request)
