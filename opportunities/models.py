"""Opportunities (OTO/OTD). For now the minimal record a converted lead opens; the sales-side
lifecycle with its gates (ATI, ATB, ATC) comes with the control-points work."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField

from leads.models import Customer, Lead
from ltc_portal.core.models import LifecycleModel
from ltc_portal.core.money import CurrencyField, MoneyField, default_currency


class OpportunityState(models.TextChoices):
    VALIDATING = "validating", _("Validating")
    ANALYSIS = "analysis", _("Analysis")
    BIDDING = "bidding", _("Bidding")
    CONTRACTING = "contracting", _("Contracting")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    ABANDONED = "abandoned", _("Abandoned")


class Opportunity(LifecycleModel):
    """A validated chance to sell to a customer, from a converted lead or entered directly."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    lead = models.OneToOneField(Lead, verbose_name=_("lead"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="opportunity")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="opportunities")
    name = models.CharField(_("name"), max_length=200)
    expected_value = MoneyField(_("expected value"), default=0)
    currency = CurrencyField(_("currency"), default=default_currency)
    state = FSMField(_("state"), default=OpportunityState.VALIDATING, choices=OpportunityState.choices,
                     protected=True, db_index=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expected_value__gte=0), name="opportunity_value_not_negative"),
        ]

    def __str__(self):
        return self.name
