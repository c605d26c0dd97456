"""Each webhook body speaks the API (API.md, "webhooks"; issue 11 §4): the record's id under its
resource's singular name, every other key a field of that resource in the API with the value the API
gives it (codes such as ``subject_type`` = ``change_request``, money as decimal strings beside their
currency, ISO dates), and the envelope ``id``, ``event``, ``occurred_at``, ``data``."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from delivery import services as delivery
from finance import services as finance
from integrations import services as hooks
from integrations.http import body_of
from integrations.models import WebhookDelivery
from ltc_portal.controls import services as gates
from tests.delivery.test_execution import pass_dr1, staff_and_plan
from tests.finance.factories import invoice_every_payment, prepare_final_accounts
from tests.opportunities.factories import Cast, approve, project_in_plan_with_contract

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
EVENTS = ["gate.decided", "contract.signed", "invoice.issued", "receipt.recorded", "project.closed"]
#: per event: the key of the record's id, the API resource it is, and the keys data holds besides it
SHAPES = {
    "gate.decided": (
        "review",
        "gate-reviews",
        {"gate", "subject_type", "subject_id", "state", "decided_by", "comment"},
    ),
    "contract.signed": ("contract", "contracts", {"number", "opportunity", "value", "currency", "signed_date"}),
    "invoice.issued": (
        "invoice",
        "invoices",
        {
            "number",
            "contract",
            "payment_milestone",
            "amount",
            "tax_rate_percent",
            "tax_amount",
            "total",
            "currency",
            "issue_date",
            "due_date",
        },
    ),
    "receipt.recorded": (
        "receipt",
        "receipts",
        {"customer", "amount", "currency", "date", "payer", "reference", "allocations"},
    ),
    "project.closed": (
        "project",
        "projects",
        {
            "name",
            "opportunity",
            "contract",
            "state",
            "final_acceptance_date",
            "final_acceptance_by",
            "final_acceptance_ref",
        },
    ),
}
#: keys that are not a field of the resource itself: what the decision was (from its decisions)
NOT_FIELDS = {"gate.decided": {"decided_by", "comment"}}


@pytest.fixture
def bodies(cast, settings, make_user):
    """A project taken from its first gate to DR4 with a webhook subscribed to every event: the
    bodies as sent (what ``body_of`` signs), by event."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # never posted: the test's transaction never commits
    hooks.webhook_create(
        user=cast.finance, data={"url": "http://127.0.0.1:9/hook", "events": EVENTS, "secret": "s" * 24}
    )
    project = pass_dr1(project_in_plan_with_contract(cast), cast)
    eng = make_user("hook-eng", roles=["delivery"])
    milestone = staff_and_plan(project, cast, eng)
    final_payment = project.contract.payment_milestones.get(trigger="on_acceptance")
    delivery.milestone_update(milestone=milestone, user=cast.pm, data={"payment_milestone": final_payment})
    project = delivery.project_transition(project=project, name="start_implementation", user=cast.pm)
    change = delivery.change_request_create(
        project=project,
        user=cast.pm,
        data={"title": "Two more APs", "reason": "Asked", "scope_impact": "+2 APs", "cost_impact": Decimal("100")},
    )
    review = gates.gate_request(code="DR2", subject=change, user=cast.pm)
    gates.gate_decide(review=review, user=cast.finance, decision="approve", comment="Fine by finance")
    delivery.milestone_accept(milestone=milestone, user=cast.pm, signed_by="CIO", date=TODAY, document_ref="A1")
    approve(gates.gate_request(code="DR3", subject=project, user=cast.pm), cast.pmo)
    project.refresh_from_db()
    delivery.project_update(
        project=project,
        user=cast.pm,
        data={
            "final_acceptance_date": TODAY,
            "final_acceptance_by": "Mr Wang",
            "final_acceptance_ref": "FA-9",
            "lessons_learned": "Book access early",
        },
    )
    invoices = invoice_every_payment(project, cast)
    finance.receipt_create(
        user=cast.finance,
        data={
            "customer": project.opportunity.customer,
            "amount": Decimal("1000.00"),
            "currency": invoices[0].currency,
            "date": TODAY,
            "payer": "Payer Co",
            "reference": "BANK-1",
            "allocations": [{"invoice": invoices[0], "amount": Decimal("1000.00")}],
        },
    )
    prepare_final_accounts(project, cast)
    approve(gates.gate_request(code="DR4", subject=project, user=cast.pm), cast.finance, cast.pmo)
    by_event = {}
    for d in WebhookDelivery.objects.order_by("pk"):
        by_event.setdefault(d.event, []).append(json.loads(body_of(d)))
    return by_event


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def reader(api, make_user):
    return api.as_user(make_user("hook-reader", roles=["executive"]))


def test_each_body_is_in_the_envelope_and_names_its_keys_and_values_as_the_api_does(bodies, reader):
    assert set(bodies) == set(EVENTS)
    for event, sent in bodies.items():
        id_key, resource, keys = SHAPES[event]
        for body in sent:
            assert set(body) == {"id", "event", "occurred_at", "data"}
            assert body["event"] == event
            assert datetime.datetime.fromisoformat(body["occurred_at"])
            data = body["data"]
            assert set(data) == {id_key} | keys, (event, set(data) ^ ({id_key} | keys))
            assert isinstance(data[id_key], int)
            r = reader.get(f"/api/v1/{resource}/{data[id_key]}/")
            assert r.status_code == 200, (resource, r.status_code)
            api = r.json()
            assert api["id"] == data[id_key]
            for key in keys - NOT_FIELDS.get(event, set()):
                assert data[key] == api[key], (event, key, data[key], api[key])


def test_a_change_requests_gate_says_change_request_and_money_and_dates_are_strings(bodies, cast, reader):
    decided = [b["data"] for b in bodies["gate.decided"]]
    assert {d["subject_type"] for d in decided} == {"opportunity", "project", "change_request"}
    dr2 = next(d for d in decided if d["gate"] == "DR2")
    assert (dr2["subject_type"], dr2["state"], dr2["decided_by"]) == (
        "change_request",
        "approved",
        cast.finance.username,
    )
    assert dr2["comment"] == "Fine by finance"
    review = reader.get(f"/api/v1/gate-reviews/{dr2['review']}/").json()
    assert dr2["decided_by"] == review["decisions"][-1]["decided_by"]
    assert reader.get(f"/api/v1/change-requests/{dr2['subject_id']}/").status_code == 200

    (closed,) = [b["data"] for b in bodies["project.closed"]]
    assert closed["state"] == "closed" and closed["final_acceptance_date"] == TODAY.isoformat()
    (receipt,) = [b["data"] for b in bodies["receipt.recorded"]]
    assert (receipt["amount"], receipt["date"]) == ("1000.00", TODAY.isoformat())
    (allocation,) = receipt["allocations"]
    assert allocation == {"invoice": allocation["invoice"], "amount": "1000.00", "date": TODAY.isoformat()}
    for invoice in [b["data"] for b in bodies["invoice.issued"]]:
        assert Decimal(invoice["total"]) == Decimal(invoice["amount"]) + Decimal(invoice["tax_amount"])
        assert all(isinstance(invoice[k], str) for k in ("amount", "tax_amount", "total", "currency"))
