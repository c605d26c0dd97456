"""Response headers the CSP package does not set: Permissions-Policy on every response, and
`Cache-Control: no-store` on whatever a signed-in user (session or API token) is answered, so that a
shared or back-buttoned browser never shows their pages from its cache."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        signed_in = (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        if signed_in:
            add_never_cache_headers(response)
        return response
