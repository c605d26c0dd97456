from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery import services as delivery
from ltc_portal.controls import selectors as gate_reads
from ltc_portal.controls import services as gates
from tests.delivery.test_execution import pass_dr1, staff_and_plan
from tests.opportunities.factories import Cast, OpportunityFactory, project_in_plan_with_contract


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


def test_my_decisions_lists_reviews_waiting_for_my_roles(web, cast):
    opp = OpportunityFactory(owner=cast.owner, name="Harbour CCTV")
    gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    page = web.as_user(cast.director).get("/gates/my-decisions/").content.decode()
    assert "Harbour CCTV" in page and f'href="/opportunities/{opp.pk}/"' in page
    assert "Harbour CCTV" not in web.as_user(cast.finance).get("/gates/my-decisions/").content.decode()


def test_the_pm_who_decides_dr2_finds_my_decisions_in_the_menu(web, cast):
    def menu(user):
        page = web.as_user(user).get("/").content.decode()
        return page[page.index('id="mainnav"') :].split("</ul>", 1)[0]

    assert 'href="/gates/my-decisions/"' in menu(cast.pm)
    assert 'href="/gates/my-decisions/"' not in menu(cast.owner)  # sales request gates; they decide none


def test_decide_from_the_page_and_refusals_are_messages(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    r = web.as_user(cast.director).post(
        f"/gates/reviews/{review.pk}/decide/",
        {"decision": "reject", "role": "sales_director", "comment": ""},
        follow=True,
    )
    assert "Say why you reject." in r.content.decode()
    review.refresh_from_db()
    assert review.state == "pending"
    r = web.as_user(cast.owner).post(f"/gates/reviews/{review.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "someone else must decide it" in r.content.decode()
    web.as_user(cast.director).post(f"/gates/reviews/{review.pk}/decide/", {"decision": "approve"})
    opp.refresh_from_db()
    assert opp.state == "analysis"


def test_request_with_bad_evidence_is_refused(web, cast):
    opp = OpportunityFactory(owner=cast.owner)
    r = web.as_user(cast.owner).post(
        "/gates/request/",
        {"gate": "ATI", "subject_type": "opportunity", "subject_id": opp.pk, "evidence": "javascript:alert(1)"},
        follow=True,
    )
    assert "web links" in r.content.decode()
    assert not gate_reads.latest_review(opp, "ATI")


def test_admin_decide_page(client, cast):
    cast.finance.is_staff = True
    cast.finance.save()
    cast.director.is_staff = True
    cast.director.save()
    opp = OpportunityFactory(owner=cast.owner)
    review = gates.gate_request(code="ATI", subject=opp, user=cast.owner)
    client.force_login(cast.director)
    assert "Approve" in client.get(f"/admin/controls/gatereview/{review.pk}/decide/").content.decode()
    r = client.post(
        f"/admin/controls/gatereview/{review.pk}/decide/", {"role": "sales_director", "comment": "", "reject": "1"}
    )
    assert r.status_code == 200 and "Say why you reject." in r.content.decode()
    r = client.post(f"/admin/controls/gatereview/{review.pk}/decide/", {"role": "sales_director", "approve": "1"})
    assert r.status_code == 302
    opp.refresh_from_db()
    assert opp.state == "analysis"
    assert client.get("/admin/controls/gatereview/?queue=mine").status_code == 200


def test_my_decisions_query_count_is_constant(client, cast, make_user):
    def grow(n, start):
        for i in range(n):
            owner = make_user(f"qo{start + i}", roles=["sales"])
            gates.gate_request(code="ATI", subject=OpportunityFactory(owner=owner), user=owner)

    def count():
        client.force_login(cast.director)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/gates/my-decisions/").status_code == 200
        return len(ctx.captured_queries)

    grow(2, 0)
    few = count()
    grow(6, 10)
    assert count() == few


def test_my_decisions_query_count_is_constant_with_change_reviews(client, make_user):
    cast = Cast(make_user, prefix="dr2q")
    project = pass_dr1(project_in_plan_with_contract(cast), cast)
    eng = make_user("dr2q-eng", roles=["delivery"])
    staff_and_plan(project, cast, eng)
    delivery.project_update(project=project, user=cast.pmo, data={"pm_change_limit": Decimal("100000")})

    def grow(n, start):
        for i in range(n):
            change = delivery.change_request_create(
                project=project,
                user=eng,
                data={"title": f"Change {start + i}", "reason": "r", "scope_impact": "s", "cost_impact": Decimal("10")},
            )
            gates.gate_request(code="DR2", subject=change, user=eng)

    def count():
        client.force_login(cast.pm)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/gates/my-decisions/")
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode().count("<tr>")

    grow(2, 0)
    few, rows_few = count()
    grow(5, 10)
    many, rows_many = count()
    assert rows_many == rows_few + 5 and many == few
