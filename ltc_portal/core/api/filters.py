"""The API's filter backend: django-filter's, which answers a request that names none of the
filterset's filters without building the filterset, its form and its fields (most of a list's fixed
cost at dataset L, issue 11 §5). Such a filterset filters nothing (no filter of ours is required and
each passes an empty value through), so the rows are the same."""

from django_filters.rest_framework import DjangoFilterBackend


class ListFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if not self._names_a_filter(request, view):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def _names_a_filter(self, request, view) -> bool:
        params = list(request.query_params)
        if not params:
            return False
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            names = list(filterset_class.base_filters)
        else:
            names = list(getattr(view, "filterset_fields", None) or ())
        # a filter's widget reads its name, or its name and a suffix (``date_after``, ``score_min``)
        return any(param.startswith(name) for param in params for name in names)
