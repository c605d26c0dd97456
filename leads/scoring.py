"""The lead score: a rule-based 0–100 figure, fit (up to 60) plus engagement (up to 40).

Fit — how well the lead matches what we sell:
  need recorded                              15
  budget: ≥ 1,000,000 → 20; ≥ 100,000 → 14; any amount → 8   (in the lead's own currency)
  timeline: within 3 months 15; 3–6 months 10; 6–12 months 6; over 12 months 2
  reachable: e-mail 3, phone 3, contact name 4
Engagement — how far the conversation has gone:
  source: referral 10, partner 8, tender 8, event 6, website 5, campaign 4, cold call 2, other 0
  state: contacted 10, nurturing 15, qualified or converted 25, disqualified → score 0
  notes recorded                              5
The total is capped at 100. It is recomputed whenever the lead is saved (``Lead.derive``, called by ``Lead.save``).
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

PART_LABELS = {
    "need": _("Need recorded"),
    "budget": _("Budget"),
    "timeline": _("Timeline"),
    "reachable": _("Reachable"),
    "source": _("Source"),
    "stage": _("Stage reached"),
    "notes": _("Notes recorded"),
    "disqualified": _("Disqualified"),
}

SOURCE_POINTS = {
    "referral": 10,
    "partner": 8,
    "tender": 8,
    "event": 6,
    "website": 5,
    "campaign": 4,
    "cold_call": 2,
    "other": 0,
}
TIMELINE_POINTS = {"within_3_months": 15, "3_to_6_months": 10, "6_to_12_months": 6, "over_12_months": 2}
STATE_POINTS = {"new": 0, "contacted": 10, "nurturing": 15, "qualified": 25, "converted": 25}


def score_breakdown(lead) -> dict[str, int]:
    if lead.state == "disqualified":
        return {"disqualified": 0}
    budget = lead.budget_amount or Decimal(0)
    parts = {
        "need": 15 if lead.need.strip() else 0,
        "budget": 20 if budget >= 1_000_000 else 14 if budget >= 100_000 else 8 if budget > 0 else 0,
        "timeline": TIMELINE_POINTS.get(lead.timeline, 0),
        "reachable": (3 if lead.email else 0) + (3 if lead.phone else 0) + (4 if lead.contact_name.strip() else 0),
        "source": SOURCE_POINTS.get(lead.source, 0),
        "stage": STATE_POINTS.get(lead.state, 0),
        "notes": 5 if lead.notes.strip() else 0,
    }
    return parts


def lead_score(lead) -> int:
    return min(100, sum(score_breakdown(lead).values()))
