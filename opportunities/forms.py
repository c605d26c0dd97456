"""Forms of the opportunity pages. They only validate input; the services write."""

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads.models import Customer
from leads.selectors import customer_visible
from ltc_portal.core.forms import TransitionForm, bootstrap  # noqa: F401  (TransitionForm: used by the views)
from ltc_portal.core.money import ISO_4217
from ltc_portal.core.roles import Role, has_role, people, user_display

from .models import CostCategory, LineCategory, Opportunity, OpportunityState

MONEY = {"max_digits": 18, "decimal_places": 2}


def _people(*roles):
    return people(*roles)


class OpportunityForm(forms.ModelForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in sorted(ISO_4217)])

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "customer",
            "need_summary",
            "customer_budget",
            "expected_value",
            "currency",
            "probability",
            "expected_close_date",
            "competitors",
            "solution_owner",
            "owner",
        ]
        widgets = {
            "need_summary": forms.Textarea(attrs={"rows": 3}),
            "competitors": forms.Textarea(attrs={"rows": 2}),
            "expected_close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        customers = customer_visible(user) if user is not None else Customer.objects.none()
        if self.instance.pk:
            # keep the current customer selectable even if the user would not see it otherwise
            customers = customers | Customer.objects.filter(pk=self.instance.customer_id)
        self.fields["customer"].queryset = customers.distinct().order_by("name")
        self.fields["solution_owner"].queryset = _people(Role.SOLUTION, Role.SALES, Role.SALES_DIRECTOR)
        self.fields["solution_owner"].label_from_instance = user_display
        self.fields["owner"].label_from_instance = user_display
        self.fields["solution_owner"].required = False
        if user is not None and (user.is_superuser or has_role(user, Role.SALES_DIRECTOR)):
            self.fields["owner"].queryset = _people(Role.SALES, Role.SALES_DIRECTOR)
            self.fields["owner"].required = False
        else:
            del self.fields["owner"]
        if self.instance.pk and self.instance.state != OpportunityState.VALIDATING:
            for name in ("customer", "currency"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed once ATI is approved.")
        if not self.instance.pk:
            self.fields["currency"].initial = Opportunity._meta.get_field("currency").get_default()
        for name in ("customer_budget", "expected_value"):
            self.fields[name].validators.append(MinValueValidator(Decimal("0")))
            self.fields[name].widget.attrs["min"] = "0"
        self.fields["probability"].widget.attrs.update({"min": "0", "max": "100"})
        bootstrap(self)


class QuoteForm(forms.Form):
    payment_terms = forms.CharField(label=_("Payment terms"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class QuoteLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300)
    category = forms.ChoiceField(label=_("Category"), choices=LineCategory.choices, initial=LineCategory.OTHER)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=2, min_value=Decimal("0"))
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=Decimal("0"), **MONEY)
    discount_percent = forms.DecimalField(
        label=_("Discount %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        initial=Decimal("0"),
    )
    # informational (the quote's cost is its estimate): kept, not shown in the editor
    unit_cost = forms.DecimalField(
        label=_("Unit cost"), min_value=Decimal("0"), initial=Decimal("0"), required=False, **MONEY
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)
        for name in ("quantity", "unit_price", "discount_percent", "unit_cost"):
            self.fields[name].widget.attrs["data-field"] = name

    def clean_discount_percent(self):
        return self.cleaned_data["discount_percent"] or Decimal("0")

    def clean_unit_cost(self):
        return self.cleaned_data["unit_cost"] or Decimal("0")


class EstimateLineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=[("", "---------"), *CostCategory.choices])
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0"), **MONEY)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)
        self.fields["amount"].widget.attrs["data-field"] = "amount"


class LineFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs.update({"class": "form-check-input", "data-delete": "1"})


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, formset=LineFormSet, extra=1, can_delete=True)
EstimateLineFormSet = forms.formset_factory(EstimateLineForm, formset=LineFormSet, extra=1, can_delete=True)


def formset_rows(formset) -> list[dict]:
    """The filled-in, not deleted rows of a valid formset, without the DELETE flag."""
    deleted = set(map(id, formset.deleted_forms)) if formset.can_delete else set()
    return [
        {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and id(form) not in deleted
    ]


class PipelineFilterForm(forms.Form):
    """The pipeline's filters: owner, customer, month of expected close (YYYY-MM)."""

    owner = forms.ModelChoiceField(queryset=None, required=False, label=_("Owner"))
    customer = forms.ModelChoiceField(queryset=None, required=False, label=_("Customer"))
    close_month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        label=_("Closing in"),
        error_messages={"invalid": _("Give the month as YYYY-MM.")},
    )

    def __init__(self, *args, owners, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = user_display
        self.fields["customer"].queryset = customers

    def where(self) -> Q:
        """The filter as a condition (only when valid: an invalid filter narrows nothing)."""
        where = Q()
        if not self.is_valid():
            return where
        data = self.cleaned_data
        if data.get("owner"):
            where &= Q(owner=data["owner"])
        if data.get("customer"):
            where &= Q(customer=data["customer"])
        if data.get("close_month"):
            year, month = map(int, data["close_month"].split("-"))
            where &= Q(expected_close_date__year=year, expected_close_date__month=month)
        return where
