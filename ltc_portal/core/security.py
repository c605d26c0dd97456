"""Login lockout, client addresses and token lifetimes: the pieces that django-axes and DRF call.

Not services: nothing here writes business data. django-axes records the failures (its AccessAttempt and
AccessLog tables, visible in the admin to superusers) and asks this module for three things: who the
client is (behind TRUSTED_PROXY_COUNT proxies), whether the client is locked (per user and address, and
per address across user names), and what to answer when it is.
"""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front the address the
    outermost trusted proxy saw (the N-th entry of X-Forwarded-For from the right). Entries further left
    are written by the client and never trusted."""
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return forwarded[0] if forwarded else remote
    return forwarded[-proxies]


class PortalAxesHandler(AxesDatabaseHandler):
    """axes' database handler with two limits: AXES_FAILURE_LIMIT failures of one user name from one
    address, or LOGIN_ADDRESS_FAILURE_LIMIT failures from one address whatever the user names (password
    spraying). Expects AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]."""

    def get_failures(self, request, credentials=None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        pair = counts[0]
        address = counts[1] if len(counts) > 1 else 0
        if address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, math.ceil(cool_off_seconds() / 60))
    return ngettext(
        "Too many failed logins from your address. Logging in is blocked for %(minutes)d minute; "
        "try again later or ask an administrator to unlock the account.",
        "Too many failed logins from your address. Logging in is blocked for %(minutes)d minutes; "
        "try again later or ask an administrator to unlock the account.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """429 for a locked client: JSON with Retry-After on the API, the lockout page elsewhere (the
    portal's login and the admin's)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = str(cool_off_seconds())
    return response


def token_expires_at(token):
    return token.created + timedelta(days=settings.API_TOKEN_TTL_DAYS)


def token_expired(token) -> bool:
    return settings.API_TOKEN_TTL_DAYS > 0 and timezone.now() >= token_expires_at(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token, refused once API_TOKEN_TTL_DAYS have passed since it was issued (0: never expires)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(
                _("The token expired on %(date)s. Get a new one with POST /api/v1/auth/token/.")
                % {"date": timezone.localtime(token_expires_at(token)).strftime("%Y-%m-%d %H:%M")}
            )
        return user, token
