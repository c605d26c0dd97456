"""Who reads what (issue 11 §6): every role × every list endpoint answers 200 or 403, never a 5xx,
and a lead, an opportunity and a project are read (200) or hidden (404) as README's roles say."""

import pytest

from tests.leads.factories import LeadFactory
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati

ROLES = ["sales", "sales_director", "solution", "delivery", "pmo", "finance", "executive", "hr"]


@pytest.fixture
def world(make_user):
    cast = Cast(make_user, prefix="pm")
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    lead = LeadFactory(owner=cast.owner)
    people = {role: make_user(f"mx-{role}", roles=[role]) for role in ROLES}  # none owns or manages anything
    return {"cast": cast, "opp": opp, "project": opp.project, "lead": lead, "people": people}


def list_endpoints(api, user):
    schema = api.as_user(user).get("/api/schema/", {"format": "json"}).json()
    return sorted(p for p, item in schema["paths"].items() if "{" not in p and "get" in item and p.endswith("/"))


def test_every_role_gets_every_list_endpoint_without_a_5xx(api, world):
    urls = list_endpoints(api, world["people"]["executive"])
    assert len(urls) > 20
    for role, person in world["people"].items():
        client = api.as_user(person)
        for url in urls:
            if url.startswith("/api/schema") or url.startswith("/api/docs"):
                continue
            r = client.get(url)
            assert r.status_code in (200, 403), (role, url, r.status_code)


def test_outsiders_to_a_deal_see_none_of_it_in_the_lists(api, world):
    for role in ("sales", "hr"):
        client = api.as_user(world["people"][role])
        for url in ("/api/v1/leads/", "/api/v1/opportunities/", "/api/v1/projects/"):
            r = client.get(url)
            assert r.status_code in (200, 403) and (r.status_code == 403 or r.json()["count"] == 0), (role, url)


# role → (lead, opportunity, project) as README's "Roles and visibility" says
EXPECTED = {
    "sales": (404, 404, 404),  # another sales person's deal
    "sales_director": (200, 200, 200),
    "solution": (404, 200, 200),
    "delivery": (404, 200, 404),  # not the PM of this project
    "pmo": (404, 200, 200),
    "finance": (404, 200, 200),
    "executive": (200, 200, 200),
    "hr": (404, 404, 404),
}


@pytest.mark.parametrize("role", ROLES)
def test_details_are_read_or_hidden_by_role(api, world, role):
    client = api.as_user(world["people"][role])
    got = tuple(
        client.get(url).status_code
        for url in (
            f"/api/v1/leads/{world['lead'].pk}/",
            f"/api/v1/opportunities/{world['opp'].pk}/",
            f"/api/v1/projects/{world['project'].pk}/",
        )
    )
    assert got == EXPECTED[role]


def test_the_owner_and_the_pm_read_their_own(api, world):
    cast = world["cast"]
    owner, pm = api.as_user(cast.owner), None
    assert owner.get(f"/api/v1/leads/{world['lead'].pk}/").status_code == 200
    assert owner.get(f"/api/v1/projects/{world['project'].pk}/").status_code == 200
    pm = api.as_user(cast.pm)
    assert pm.get(f"/api/v1/projects/{world['project'].pk}/").status_code == 200
    assert pm.get(f"/api/v1/leads/{world['lead'].pk}/").status_code == 404
