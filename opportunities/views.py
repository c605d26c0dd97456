from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from ltc_portal.core.fsm import history

from .selectors import opportunity_list


@login_required
def opportunity_list_page(request):
    if not request.user.has_perm("opportunities.view_opportunity"):
        raise PermissionDenied
    page = Paginator(opportunity_list(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "opportunities/opportunity_list.html", {"page": page})


@login_required
def opportunity_detail(request, pk):
    opportunity = get_object_or_404(opportunity_list(request.user), pk=pk)
    return render(request, "opportunities/opportunity_detail.html",
                  {"opportunity": opportunity, "history": history(opportunity)})
