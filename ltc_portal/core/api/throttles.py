"""API throttles: rates in settings (API_THROTTLE_USER, API_THROTTLE_ANON, API_THROTTLE_BULK). A throttled
request is answered 429 JSON with Retry-After (DRF's Throttled, through the API's exception handler)."""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class BulkRateThrottle(UserRateThrottle):
    """The stricter scope of the endpoints that take a file or many rows at once, per user (and per
    address for a request without one), on top of the general rates."""

    scope = "bulk"


#: throttle_classes for a bulk action: the defaults and the bulk scope
BULK_THROTTLES = [AnonRateThrottle, UserRateThrottle, BulkRateThrottle]
