"""Forms of the contract pages: the contract with its payment milestones (a formset), the handover
(合同交底) and the reason given with a transition. They only validate input; services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.forms import BootstrapForm, TransitionForm, date_input  # noqa: F401  (TransitionForm: used by the views)

from .models import PaymentMilestone, Trigger


class ContractForm(BootstrapForm):
    number = forms.CharField(label=_("Contract number"), max_length=60)
    signed_date = forms.DateField(
        label=_("Signed on"),
        required=False,
        widget=date_input(),
        help_text=_("Needed before the contract can be signed."),
    )


class PaymentMilestoneForm(BootstrapForm):
    small = True

    name = forms.CharField(label=_("Name"), max_length=200)
    amount = forms.DecimalField(label=_("Amount"), required=False, min_value=0, max_digits=18, decimal_places=2)
    percent = forms.DecimalField(
        label=_("or percent of value"), required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    trigger = forms.ChoiceField(label=_("Trigger"), choices=[("", "—"), *Trigger.choices])
    planned_date = forms.DateField(label=_("Planned date"), required=False, widget=date_input())

    def clean(self):
        data = super().clean()
        amount, percent = data.get("amount"), data.get("percent")
        if amount is None and percent is None and not {"amount", "percent"} & set(self.errors):
            raise forms.ValidationError(_("Give an amount or a percent of the contract value."))
        if amount is not None and percent is not None:
            raise forms.ValidationError(_("Give an amount or a percent, not both."))
        if (
            data.get("trigger") == Trigger.ON_DATE
            and not data.get("planned_date")
            and "planned_date" not in self.errors
        ):
            self.add_error("planned_date", _("A date trigger needs its planned date."))
        return data


class BaseMilestoneFormSet(forms.BaseFormSet):
    def milestones(self) -> list[dict]:
        """The filled-in rows (blank and deleted ones left out), in order, as the service takes them."""
        rows = []
        for i, form in enumerate(self.forms):
            blank_extra = i >= self.initial_form_count() and not form.has_changed()
            if blank_extra or (self.can_delete and self._should_delete_form(form)):
                continue
            rows.append({k: form.cleaned_data.get(k) for k in ("name", "amount", "percent", "trigger", "planned_date")})
        return rows


MilestoneFormSet = forms.formset_factory(
    PaymentMilestoneForm, formset=BaseMilestoneFormSet, extra=2, can_delete=True, max_num=50, validate_max=True
)


def milestone_initial(milestones: list[PaymentMilestone]) -> list[dict]:
    # a milestone entered as a percent is shown as that percent (its amount is computed from it)
    return [
        {
            "name": m.name,
            "amount": None if m.percent is not None else m.amount,
            "percent": m.percent,
            "trigger": m.trigger,
            "planned_date": m.planned_date,
        }
        for m in milestones
    ]


class HandoverForm(BootstrapForm):
    """合同交底: every field is required."""

    date = forms.DateField(label=_("Handover date"), widget=date_input())
    attendees = forms.CharField(label=_("Attendees"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    key_terms = forms.CharField(label=_("Key terms"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)
    risks = forms.CharField(label=_("Risks"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)
    open_questions = forms.CharField(
        label=_("Open questions"), widget=forms.Textarea(attrs={"rows": 2}), max_length=8000
    )
