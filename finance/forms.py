"""Forms of the budget pages: the version's note and its lines (a formset). Services write."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.forms import BootstrapForm
from opportunities.models import CostCategory


class BudgetForm(BootstrapForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class BudgetLineForm(BootstrapForm):
    small = True

    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *CostCategory.choices])
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class BaseBudgetLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The filled-in lines (blank and removed rows left out), as the service takes them."""
        rows = []
        for i, form in enumerate(self.forms):
            blank_extra = i >= self.initial_form_count() and not form.has_changed()
            if blank_extra or (self.can_delete and self._should_delete_form(form)):
                continue
            rows.append({k: form.cleaned_data.get(k) for k in ("category", "amount", "note")})
        return rows


BudgetLineFormSet = forms.formset_factory(
    BudgetLineForm, formset=BaseBudgetLineFormSet, extra=3, can_delete=True, max_num=200, validate_max=True
)


def line_initial(lines) -> list[dict]:
    return [{"category": li.category, "amount": li.amount, "note": li.note} for li in lines]


class FinalAccountForm(BootstrapForm):
    """Finance's explanation of a project's final accounts (the figures are the portal's)."""

    explanation = forms.CharField(
        label=_("Explanation"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CostImportForm(forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return f


class ReceiptForm(BootstrapForm):
    """Money received from a customer (the customer is chosen first; the allocations are typed against
    its open invoices)."""

    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("99999999999999.99"),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    payer = forms.CharField(label=_("Payer"), max_length=200)
    reference = forms.CharField(label=_("Bank reference"), max_length=100)

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not 1900 <= day.year <= 2999:
            raise forms.ValidationError(_("Give a date between 1900 and 2999."))
        return day
