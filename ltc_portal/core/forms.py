"""Form pieces every app's pages share: Bootstrap classes on widgets, the date input, and the reason
given with a lifecycle step."""

from django import forms
from django.utils.translation import gettext_lazy as _


def date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def bootstrap(form, small=False):
    """Give every widget of the form its Bootstrap class."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + (" form-control-sm" if small else "")
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class BootstrapForm(forms.Form):
    small = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=self.small)


class TransitionForm(BootstrapForm):
    """The optional (or, for some steps, required) reason given with a lifecycle step on a page."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
