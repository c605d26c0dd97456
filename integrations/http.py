"""The wire: the SSRF guard, the signature and the POST (no redirects followed)."""

import datetime
import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "X-LTC-Signature"


class UnsafeAddress(ValueError):
    """The URL is not one the portal posts to."""


def sign(secret: str, body: bytes) -> str:
    """The header's value: ``sha256=`` and the hex HMAC-SHA256 of the body with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def check_url(url: str) -> None:
    """Refuse what is not http(s) to a public address: loopback, private, link-local, reserved and
    multicast addresses are refused unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES (every address the name
    resolves to is checked, at subscription and again at each delivery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeAddress(_("Give an http or https URL."))
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeAddress(_("The host %(host)s cannot be resolved.") % {"host": parts.hostname}) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise UnsafeAddress(
                _("The host %(host)s is a private or local address; webhooks go to public addresses only.")
                % {"host": parts.hostname}
            )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST the body; returns the status code (a redirect is an answer, not followed). Raises
    ``OSError`` when the endpoint cannot be reached, ``UnsafeAddress`` when it is refused."""
    check_url(url)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def body_of(delivery) -> bytes:
    """The bytes that are posted and signed (the same at every attempt)."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def backoff(attempt: int) -> datetime.timedelta:
    """The wait after the ``attempt``-th failure: WEBHOOK_BACKOFF_SECONDS doubled each time."""
    return datetime.timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))
