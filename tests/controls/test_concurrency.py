"""Many simultaneous final approvals of one review produce exactly one transition; the others are
refused (409). Real threads, real row locks: PostgreSQL only."""

import threading

import pytest
from django.db import close_old_connections, connection

from ltc_portal.controls import services as gates
from ltc_portal.controls.models import GateDecision, GateReview
from ltc_portal.core.fsm import TransitionRefused
from ltc_portal.core.models import TransitionLog
from opportunities.models import Opportunity
from tests.opportunities.factories import OpportunityFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")

DECIDERS = 6


@pytest.mark.django_db(transaction=True)
def test_simultaneous_final_approvals_make_exactly_one_transition(make_user):
    owner = make_user("race-owner", roles=["sales"])
    directors = [make_user(f"race-director-{i}", roles=["sales_director"]) for i in range(DECIDERS)]
    opp = OpportunityFactory(owner=owner)
    review = gates.gate_request(code="ATI", subject=opp, user=owner)

    barrier = threading.Barrier(DECIDERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(user):
        try:
            barrier.wait(timeout=10)
            gates.gate_decide(review=GateReview.objects.get(pk=review.pk), user=user, decision="approve")
            result = "approved"
        except TransitionRefused:
            result = "409"
        except Exception as exc:  # noqa: BLE001 - report anything else as a failure
            result = f"error: {exc!r}"
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(d,)) for d in directors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["409"] * (DECIDERS - 1) + ["approved"], outcomes
    opp = Opportunity.objects.get(pk=opp.pk)
    assert opp.state == "analysis"
    assert TransitionLog.objects.for_subject(opp).filter(transition="ati").count() == 1
    assert GateDecision.objects.filter(review=review).count() == 1
    assert GateReview.objects.get(pk=review.pk).state == "approved"
    assert Opportunity.objects.get(pk=opp.pk).project is not None
