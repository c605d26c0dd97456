from rest_framework.pagination import PageNumberPagination

from ltc_portal.core.paging import CappedCountPaginator


class StandardPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results`` as ever; beyond ``LIST_EXACT_COUNT_MAX`` rows the
    count is the planner's estimate and the response says so with ``X-Count-Estimated: true``."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if getattr(self.page.paginator, "estimated", False):
            response["X-Count-Estimated"] = "true"
        return response
