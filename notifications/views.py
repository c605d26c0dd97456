"""The notifications page: your notifications, newest first, unread ones marked; open one (it is
marked read and you go to its page), mark all read, and turn the e-mails on or off. Thin: the
services write and refuse."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.core.pages import page_of, run_then_redirect

from . import selectors, services


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notification_list(request.user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page_of(request, qs),
            "unread_only": unread_only,
            "unread": selectors.unread_count(request.user),
            "email_enabled": selectors.email_enabled(request.user),
        },
    )


@login_required
@require_POST
def notification_open(request, pk):
    notification = get_object_or_404(selectors.notification_list(request.user), pk=pk)
    services.notification_read(notification=notification, user=request.user)
    hosts = {request.get_host()}
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=hosts):
        back = reverse("notifications:list")
    if request.POST.get("stay") or not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=hosts):
        return redirect(back)
    return redirect(notification.url)


@login_required
@require_POST
def notification_read_all(request):
    return run_then_redirect(
        request,
        lambda: services.notifications_read_all(user=request.user),
        done=_("Every notification is marked read."),
        back=reverse("notifications:list"),
    )


@login_required
@require_POST
def notification_settings(request):
    email = request.POST.get("email") == "on"
    services.notification_settings_update(user=request.user, email=email)
    messages.success(
        request,
        _("You will receive your notifications by e-mail.") if email else _("You will no longer receive e-mails."),
    )
    return redirect(reverse("notifications:list"))
