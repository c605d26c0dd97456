"""The API's filter backend: django-filter's, with only the filters a request names (issue 11 §5).
A filter a request does not name filters nothing (no filter of ours is required, and each passes an
empty value through), so the rows are the same; but building every filter's form field, the form
class and its validation on each request was a good part of a short list's fixed cost at dataset L.
A request that names none skips the filterset altogether."""

from django_filters.rest_framework import DjangoFilterBackend


def _names(params, name) -> bool:
    # a filter's widget reads its name, or its name and a suffix (``date_after``, ``score_min``)
    return any(param.startswith(name) for param in params)


class ListFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        params = list(request.query_params)
        if not params:
            return queryset
        filterset_class = getattr(view, "filterset_class", None)
        names = filterset_class.base_filters if filterset_class is not None else getattr(view, "filterset_fields", ())
        if not any(_names(params, name) for name in names or ()):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            params = list(request.query_params)
            filterset.filters = {name: f for name, f in filterset.filters.items() if _names(params, name)}
        return filterset
