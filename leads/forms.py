from django import forms
from django.utils.translation import gettext_lazy as _

from ltc_portal.core.forms import TransitionForm  # noqa: F401  (used by the views)
from ltc_portal.core.money import ISO_4217
from ltc_portal.core.roles import Role, has_role, people, user_display

from .models import Contact, Customer, Lead


class LeadForm(forms.ModelForm):
    confirm_duplicates = forms.BooleanField(
        label=_("I have checked the possible duplicates; save this lead anyway."), required=False
    )
    budget_currency = forms.ChoiceField(label=_("Budget currency"), choices=[(c, c) for c in sorted(ISO_4217)])

    class Meta:
        model = Lead
        fields = [
            "company_name",
            "contact_name",
            "email",
            "phone",
            "source",
            "campaign",
            "need",
            "budget_amount",
            "budget_currency",
            "timeline",
            "notes",
            "owner",
        ]
        widgets = {"need": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and (user.is_superuser or has_role(user, Role.SALES_DIRECTOR)):
            self.fields["owner"].queryset = people(Role.SALES, Role.SALES_DIRECTOR)
            self.fields["owner"].label_from_instance = user_display
            self.fields["owner"].required = False
        else:
            del self.fields["owner"]
        dup_attrs = {
            "hx-post": "",
            "hx-trigger": "change, keyup changed delay:600ms",
            "hx-target": "#duplicate-candidates",
            "hx-include": "#lead-form",
        }
        for name in ("company_name", "email", "phone"):
            self.fields[name].widget.attrs.update(dup_attrs)
        self.fields["budget_amount"].widget.attrs["min"] = "0"
        if not self.instance.pk:
            self.fields["budget_currency"].initial = Lead._meta.get_field("budget_currency").get_default()


class LeadImportForm(forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx)"))
    valid_only = forms.BooleanField(label=_("Import only the valid rows (skip invalid ones)"), required=False)

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return f


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "tax_id", "industry"]


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone"]
