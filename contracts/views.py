"""Browser pages for contracts: list, draft (with payment milestones), edit while draft, detail with
its lifecycle (sign, hand over with the 合同交底 record, terminate). Thin: forms validate, services write."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ltc_portal.core.fsm import TransitionRefused, UnknownTransition, describe_transitions, history
from ltc_portal.core.money import quantize
from ltc_portal.core.pages import form_errors_from, page_of, refusal_text
from opportunities.models import OpportunityState
from opportunities.selectors import accepted_quote, opportunity_list

from . import selectors, services
from .forms import ContractForm, HandoverForm, MilestoneFormSet, TransitionForm, milestone_initial
from .models import Contract, ContractState

MILESTONE_PREFIX = "milestones"


@login_required
def contract_list(request):
    qs = selectors.contract_list(request.user).select_related("opportunity__owner")
    state = request.GET.get("state", "")
    if state in ContractState.values:
        qs = qs.filter(state=state)
    ready = []
    if request.user.has_perm("contracts.add_contract"):
        live = Contract.objects.filter(opportunity=OuterRef("pk")).exclude(state=ContractState.TERMINATED)
        ready = [
            o
            for o in opportunity_list(request.user)
            .filter(state=OpportunityState.CONTRACTING)
            .filter(~Exists(live))
            .order_by("expected_close_date", "pk")[:10]
            if request.user.has_perm("opportunities.change_opportunity", o)
        ]
    return render(
        request,
        "contracts/contract_list.html",
        {
            "page": page_of(request, qs),
            "querystring": f"state={state}" if state in ContractState.values else "",
            "states": ContractState.choices,
            "state": state,
            "ready": ready,
        },
    )


def _opportunity_for_new_contract(request):
    raw = request.GET.get("opportunity", "")
    if not raw.isdigit():
        raise Http404(_("Choose the opportunity the contract is for."))
    opportunity = get_object_or_404(opportunity_list(request.user), pk=int(raw))
    if not (
        request.user.has_perm("contracts.add_contract")
        and request.user.has_perm("opportunities.change_opportunity", opportunity)
    ):
        raise PermissionDenied(_("You may not draft a contract for this opportunity."))
    return opportunity


@login_required
def contract_create(request):
    opportunity = _opportunity_for_new_contract(request)
    existing = opportunity.contracts.exclude(state=ContractState.TERMINATED).first()
    if existing is not None:
        messages.info(request, _("This opportunity already has contract %(number)s.") % {"number": existing.number})
        return redirect("contracts:contract-detail", pk=existing.pk)
    quote = accepted_quote(opportunity)
    if opportunity.state != OpportunityState.CONTRACTING or quote is None:
        messages.error(
            request,
            _(
                "A contract is drafted once ATC is approved and the customer accepted a quote. "
                "The opportunity is %(state)s."
            )
            % {"state": opportunity.get_state_display()},
        )
        return redirect(opportunity)
    form = ContractForm(request.POST or None)
    formset = MilestoneFormSet(request.POST or None, prefix=MILESTONE_PREFIX)
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                contract = services.contract_create(
                    opportunity=opportunity,
                    user=request.user,
                    data={**form.cleaned_data, "payment_milestones": formset.milestones()},
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, _("Contract %(number)s drafted.") % {"number": contract.number})
                return redirect("contracts:contract-detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "formset": formset, "opportunity": opportunity, "quote": quote, "creating": True},
    )


@login_required
def contract_edit(request, pk):
    contract = get_object_or_404(selectors.contract_list(request.user).select_related("quote"), pk=pk)
    if not request.user.has_perm("contracts.change_contract", contract):
        raise PermissionDenied(_("You may not change this contract."))
    if contract.state != ContractState.DRAFT:
        messages.error(
            request,
            _("A %(state)s contract is not edited; amendments come with change requests.")
            % {"state": contract.get_state_display()},
        )
        return redirect("contracts:contract-detail", pk=contract.pk)
    form = ContractForm(request.POST or None, initial={"number": contract.number, "signed_date": contract.signed_date})
    formset = MilestoneFormSet(
        request.POST or None,
        prefix=MILESTONE_PREFIX,
        initial=milestone_initial(list(contract.payment_milestones.all())),
    )
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                services.contract_update(
                    contract=contract,
                    user=request.user,
                    data={**form.cleaned_data, "payment_milestones": formset.milestones()},
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                messages.error(request, refusal_text(exc))
                return redirect("contracts:contract-detail", pk=contract.pk)
            else:
                messages.success(request, _("Contract saved."))
                return redirect("contracts:contract-detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {
            "form": form,
            "formset": formset,
            "opportunity": contract.opportunity,
            "quote": contract.quote,
            "contract": contract,
            "creating": False,
        },
    )


def _render_detail(request, contract, handover_form=None):
    transitions = describe_transitions(contract, request.user)
    hand_over = next((t for t in transitions if t.name == "hand_over"), None)
    opportunity = contract.opportunity
    project = getattr(opportunity, "project", None)
    if project is not None and not request.user.has_perm("delivery.view_project", project):
        project = None
    milestones = list(contract.payment_milestones.all())
    amendments = list(contract.amendments.select_related("recorded_by"))
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "opportunity": opportunity,
            "project": project,
            "milestones": milestones,
            "amendments": amendments,
            "current_value": quantize(contract.value + sum((a.value_change for a in amendments), start=Decimal(0))),
            "milestones_total": quantize(sum((m.amount for m in milestones), start=Decimal(0))),
            # the handover has its own form below; the panel keeps the other steps
            "transitions": [t for t in transitions if t.name != "hand_over"],
            "hand_over": hand_over,
            "show_handover": contract.state == ContractState.SIGNED and hand_over is not None,
            "handover_form": handover_form or HandoverForm(initial={"date": timezone.localdate()}),
            "history": history(contract),
            "can_edit": contract.state == ContractState.DRAFT
            and request.user.has_perm("contracts.change_contract", contract),
        },
    )


def _detail_queryset(user):
    return selectors.contract_list(user).select_related("quote", "opportunity__owner", "opportunity__project")


@login_required
def contract_detail(request, pk):
    contract = get_object_or_404(_detail_queryset(request.user), pk=pk)
    return _render_detail(request, contract)


@login_required
@require_POST
def contract_transition(request, pk, name):
    contract = get_object_or_404(_detail_queryset(request.user), pk=pk)
    data = {}
    handover_form = None
    if name == "hand_over":
        handover_form = HandoverForm(request.POST)
        if not handover_form.is_valid():
            messages.error(
                request,
                _("The handover (合同交底) needs every field: date, attendees, key terms, risks and open questions."),
            )
            return _render_detail(request, contract, handover_form)
        data = handover_form.cleaned_data
    reason_form = TransitionForm(request.POST)
    reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
    try:
        contract = services.contract_transition(contract=contract, name=name, user=request.user, reason=reason, **data)
    except ValidationError as exc:
        if handover_form is not None:
            form_errors_from(handover_form, exc)
            messages.error(request, refusal_text(exc))
            return _render_detail(request, contract, handover_form)
        messages.error(request, refusal_text(exc))
    except (TransitionRefused, UnknownTransition, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(
            request,
            _("Contract %(number)s is now “%(state)s”.")
            % {"number": contract.number, "state": contract.get_state_display()},
        )
        if name == "sign":
            messages.info(request, _("The opportunity is won."))
    return redirect("contracts:contract-detail", pk=pk)
