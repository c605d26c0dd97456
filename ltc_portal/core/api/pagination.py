from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from ltc_portal.core.paging import CappedCountPaginator


class StandardPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results`` as ever; beyond ``LIST_EXACT_COUNT_MAX`` rows the
    count is the planner's estimate and the response says so with ``X-Count-Estimated: true``. 25 a
    page; ``page_size`` from 1 to 200 (above is cut to 200). Anything else — ``true``, ``-1``, ``0`` — is
    a 400 naming the parameter, not silently the default (issue 11 §1)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if getattr(self.page.paginator, "estimated", False):
            response["X-Count-Estimated"] = "true"
        return response

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return min(int(raw), self.max_page_size)
