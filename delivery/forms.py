"""Forms of the delivery project pages. They only validate input; services write."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from contracts.forms import bootstrap
from ltc_portal.core.money import ISO_4217
from ltc_portal.core.roles import Role

from .models import Project

PM_TEXT_FIELDS = ["name", "currency", "technical_solution", "delivery_approach", "key_risks", "final_scope",
                  "delivery_plan"]
PMO_ONLY_FIELDS = ["pm", "pm_change_limit"]


class ProjectForm(forms.ModelForm):
    """The pre-sales record of a project. The PM and the PMO edit the text fields; only a user who may
    assign the PM (the PMO) gets the PM and the PM's change authority."""

    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in sorted(ISO_4217)])

    class Meta:
        model = Project
        fields = PM_TEXT_FIELDS + PMO_ONLY_FIELDS
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in
                   ("technical_solution", "delivery_approach", "key_risks", "final_scope", "delivery_plan")}

    def __init__(self, *args, can_assign_pm=False, **kwargs):
        super().__init__(*args, **kwargs)
        if can_assign_pm:
            self.fields["pm"].queryset = (get_user_model().objects.filter(is_active=True, groups__name=Role.DELIVERY)
                                          .distinct().order_by("username"))
            self.fields["pm"].label_from_instance = lambda u: (f"{u.get_full_name()} ({u.username})"
                                                               if u.get_full_name() else u.username)
            self.fields["pm_change_limit"].widget.attrs["min"] = "0"
        else:
            for name in PMO_ONLY_FIELDS:
                del self.fields[name]
        bootstrap(self)
