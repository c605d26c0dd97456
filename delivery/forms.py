"""Forms of the delivery project pages. They only validate input; services write."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import PaymentMilestone, PaymentMilestoneState, Trigger
from ltc_portal.core.forms import BootstrapForm, bootstrap, date_input
from ltc_portal.core.money import ISO_4217, money_text
from ltc_portal.core.roles import Role, people, user_display

from .models import (
    ChangeRequest,
    Defect,
    Delegation,
    Meeting,
    MeetingAction,
    Milestone,
    Project,
    ProjectIssue,
    QualityCheck,
    Risk,
    TeamMember,
)
from .selectors import record_people, team_role_refusal

PM_TEXT_FIELDS = [
    "name",
    "currency",
    "technical_solution",
    "delivery_approach",
    "key_risks",
    "final_scope",
    "delivery_plan",
]
# recorded at the end of delivery, for DR4
CLOSING_FIELDS = ["final_acceptance_date", "final_acceptance_by", "final_acceptance_ref", "lessons_learned"]
PMO_ONLY_FIELDS = ["pm", "pm_change_limit"]


class ProjectForm(forms.ModelForm):
    """The pre-sales record of a project. The PM and the PMO edit the text fields; only a user who may
    assign the PM (the PMO) gets the PM and the PM's change authority."""

    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in sorted(ISO_4217)])

    class Meta:
        model = Project
        fields = PM_TEXT_FIELDS + CLOSING_FIELDS + PMO_ONLY_FIELDS
        widgets = {
            **{
                f: forms.Textarea(attrs={"rows": 3})
                for f in (
                    "technical_solution",
                    "delivery_approach",
                    "key_risks",
                    "final_scope",
                    "delivery_plan",
                    "lessons_learned",
                )
            },
            "final_acceptance_date": date_input(),
        }

    def __init__(self, *args, can_assign_pm=False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.state not in ("implement", "handover", "closed"):
            for name in CLOSING_FIELDS:  # final acceptance and lessons come at the end of delivery
                del self.fields[name]
        if can_assign_pm:
            self.fields["pm"].queryset = people(Role.DELIVERY)
            self.fields["pm"].label_from_instance = user_display
            self.fields["pm_change_limit"].widget.attrs["min"] = "0"
        else:
            for name in PMO_ONLY_FIELDS:
                del self.fields[name]
        bootstrap(self)


# The delivery records (DOMAIN.md §6) -------------------------------------------------------------
# ModelForms for their labels and field validation only: the views hand ``service_data()`` to the
# services, which write (nothing here calls ``save``).


class RecordForm(forms.ModelForm):
    """A record of one project: people fields list active users; dates get a date picker."""

    people_fields: tuple = ()
    small = False

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        for name in self.people_fields:
            if name in self.fields:
                self.fields[name].queryset = self.people_for(name)
                self.fields[name].label_from_instance = user_display
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = date_input()
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 2
        bootstrap(self, small=self.small)

    def people_for(self, name: str):
        """Whom the people field ``name`` offers: by default the project's PM and team."""
        return record_people(self.project, getattr(self.instance, f"{name}_id", None))

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}


class TeamMemberForm(RecordForm):
    people_fields = ("user",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # someone the picker leaves out is refused in the service's words
        self.fields["user"].error_messages["invalid_choice"] = team_role_refusal()

    def people_for(self, name: str):
        return people(*settings.TEAM_MEMBER_ROLES)  # who may join a team (the service's rule)

    class Meta:
        model = TeamMember
        fields = ["user", "role", "allocation_percent", "start_date", "end_date"]


class DelegationForm(RecordForm):
    """The PM grants a member of the team a scope up to an amount for a time window."""

    class Meta:
        model = Delegation
        fields = ["grantee", "scope", "limit_amount", "valid_from", "valid_to"]

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        team = project.team.values("user_id") if project is not None else []
        self.fields["grantee"].queryset = people().filter(pk__in=team)
        self.fields["grantee"].label_from_instance = user_display
        self.fields["limit_amount"].widget.attrs["min"] = "0"


class MilestoneForm(RecordForm):
    """A milestone of the plan, and the contract payment its acceptance makes due (one of the
    contract's on-acceptance payments still planned)."""

    payment_milestone = forms.ModelChoiceField(
        label=_("Payment it makes due"),
        queryset=PaymentMilestone.objects.none(),
        required=False,
        help_text=_("The contract's payment on acceptance that this milestone's acceptance makes due."),
    )

    class Meta:
        model = Milestone
        fields = ["name", "deliverables", "planned_start", "planned_end", "actual_end", "weight"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        contract_id = self.project.contract_id if self.project is not None else None
        field = self.fields["payment_milestone"]
        linkable = Q(trigger=Trigger.ON_ACCEPTANCE, state=PaymentMilestoneState.PLANNED)
        if self.instance.pk:
            linkable |= Q(milestone=self.instance.pk)
        field.queryset = (
            PaymentMilestone.objects.filter(linkable, contract_id=contract_id)
            .select_related("contract")
            .order_by("position", "pk")
        )
        field.label_from_instance = lambda p: f"{p.name} · {money_text(p.amount, p.contract.currency)}"
        if self.instance.pk:
            self.initial["payment_milestone"] = (
                PaymentMilestone.objects.filter(milestone=self.instance.pk).values_list("pk", flat=True).first()
            )
        if not field.queryset.exists() and not self.initial.get("payment_milestone"):
            del self.fields["payment_milestone"]  # nothing to link: the field would only confuse

    def service_data(self) -> dict:
        data = super().service_data()
        if "payment_milestone" in self.fields:
            data["payment_milestone"] = self.cleaned_data.get("payment_milestone")
        return data


class AcceptanceForm(BootstrapForm):
    """The customer's acceptance certificate (验收) of a milestone."""

    small = True
    signed_by = forms.CharField(label=_("Signed for the customer by"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=date_input())
    document_ref = forms.CharField(label=_("Document reference"), max_length=100)
    remarks = forms.CharField(
        label=_("Remarks"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 1})
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction"),
        required=False,
        choices=[("", "—"), *((i, str(i)) for i in range(1, 6))],
        coerce=int,
        empty_value=None,
    )


class RiskForm(RecordForm):
    people_fields = ("owner",)

    class Meta:
        model = Risk
        fields = ["category", "description", "probability", "impact", "owner", "response", "plan", "trigger"]


class IssueForm(RecordForm):
    people_fields = ("owner",)

    class Meta:
        model = ProjectIssue
        fields = ["title", "description", "source", "severity", "owner", "due_date", "resolution", "risk"]

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        self.fields["risk"].queryset = project.risks.all() if project is not None else Risk.objects.none()


class ChangeRequestForm(RecordForm):
    class Meta:
        model = ChangeRequest
        fields = ["title", "reason", "scope_impact", "schedule_impact_days", "cost_impact", "contract_value_impact"]


class QualityCheckForm(RecordForm):
    people_fields = ("inspector",)

    class Meta:
        model = QualityCheck
        fields = ["milestone", "subject", "date", "result", "inspector", "notes"]

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, project=project, **kwargs)
        self.fields["milestone"].queryset = (
            project.milestones.all() if project is not None else Milestone.objects.none()
        )


class MeetingForm(RecordForm):
    class Meta:
        model = Meeting
        fields = ["date", "kind", "attendees", "decisions"]


class DefectForm(RecordForm):
    small = True

    class Meta:
        model = Defect
        fields = ["description", "severity", "rework"]


class ActionForm(RecordForm):
    small = True
    people_fields = ("owner",)

    class Meta:
        model = MeetingAction
        fields = ["description", "owner", "due_date"]


class RowsFormSet(forms.BaseModelFormSet):
    """Rows for a service: blank extra rows left out, never saved here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", self.model.objects.none())
        super().__init__(*args, **kwargs)

    def rows(self) -> list[dict]:
        return [form.service_data() for form in self.forms if form.has_changed() and form.cleaned_data]


DefectFormSet = forms.modelformset_factory(
    Defect, form=DefectForm, formset=RowsFormSet, extra=3, max_num=50, validate_max=True
)
ActionFormSet = forms.modelformset_factory(
    MeetingAction, form=ActionForm, formset=RowsFormSet, extra=3, max_num=50, validate_max=True
)


class IssueStepForm(BootstrapForm):
    """A step of an issue: the reason (reopen) and the resolution (resolve)."""

    reason = forms.CharField(required=False, max_length=4000)
    resolution = forms.CharField(required=False, max_length=8000)
