"""API lists read cheaply (issue 11 §5) and say the same: on the scale data (``seed_scale --size S``)
every row of a list is what the detail of that record answers — the same fields in the same order
with the same values, a lead's opportunity and an opportunity's project both null and set — for a
reader of everything and for a salesperson; a list's query count is the same for one row as for
two hundred, with an exact count and with the planner's estimate; filters still filter."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from delivery.models import Project
from leads.api.serializers import LeadSerializer
from leads.models import Lead
from opportunities.models import Opportunity

LISTS = ["leads", "customers", "contacts", "opportunities", "quotes", "contracts", "projects", "invoices"]


@pytest.fixture
def scale(db):
    call_command("seed_scale", size="S", stdout=io.StringIO())


@pytest.fixture
def reader(make_user):
    return make_user("list-reader", roles=["sales_director", "finance", "pmo"])


@pytest.fixture
def salesperson(scale):
    """A seeded salesperson who owns a converted lead."""
    owner_id = Lead.objects.filter(opportunity__isnull=False).values_list("owner_id", flat=True).first()
    return Lead.objects.filter(owner_id=owner_id).first().owner


def every_row(client, name):
    rows, url = [], f"/api/v1/{name}/?page_size=200"
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


def assert_rows_are_details(client, name, rows):
    assert rows, name
    for row in rows:
        detail = client.get(f"/api/v1/{name}/{row['id']}/")
        assert detail.status_code == 200, (name, row["id"])
        assert list(detail.json().items()) == list(row.items()), (name, row["id"])


@pytest.mark.parametrize("name", LISTS)
def test_each_row_of_a_list_is_its_detail(api, scale, reader, name):
    client = api.as_user(reader)
    assert_rows_are_details(client, name, every_row(client, name))


@pytest.mark.parametrize("name", ["leads", "customers", "opportunities", "projects", "invoices"])
def test_each_row_of_a_salespersons_list_is_its_detail(api, salesperson, name):
    client = api.as_user(salesperson)
    rows = every_row(client, name)
    if name in ("leads", "opportunities"):
        assert rows
    if rows:
        assert_rows_are_details(client, name, rows)


def test_a_leads_opportunity_and_an_opportunitys_project_null_and_set(api, scale, reader):
    client = api.as_user(reader)
    leads = every_row(client, "leads")
    opportunity_of = dict(Opportunity.objects.filter(lead__isnull=False).values_list("lead_id", "pk"))
    assert {row["opportunity"] is None for row in leads} == {True, False}
    assert {row["id"]: row["opportunity"] for row in leads} == {
        pk: opportunity_of.get(pk) for pk in Lead.objects.values_list("pk", flat=True)
    }
    opportunities = every_row(client, "opportunities")
    project_of = dict(Project.objects.values_list("opportunity_id", "pk"))
    assert {row["project"] is None for row in opportunities} == {True, False}
    assert {row["id"]: row["project"] for row in opportunities} == {
        pk: project_of.get(pk) for pk in Opportunity.objects.values_list("pk", flat=True)
    }


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("exact_count_max", [10_000, 3])
@pytest.mark.parametrize("name", LISTS)
def test_a_lists_queries_do_not_grow_with_its_rows(api, scale, reader, settings, name, exact_count_max):
    settings.LIST_EXACT_COUNT_MAX = exact_count_max  # 3: beyond it, the planner's estimate on PostgreSQL
    client = api.as_user(reader)
    client.get(f"/api/v1/{name}/?page_size=1")  # the session and the user are read once per request anyway
    one, one_rows = queries(client, f"/api/v1/{name}/?page_size=1")
    many, many_rows = queries(client, f"/api/v1/{name}/?page_size=200")
    assert one_rows == 1 and many_rows > 3, (name, many_rows)
    assert one == many, name


def test_filters_still_filter_and_other_parameters_leave_the_rows_alone(api, scale, reader):
    client = api.as_user(reader)
    every = client.get("/api/v1/leads/?page_size=200").json()
    other = client.get("/api/v1/leads/?page_size=200&format=json&unknown=1").json()
    assert (other["count"], other["results"]) == (every["count"], every["results"])
    qualified = client.get("/api/v1/leads/?state=qualified&page_size=200").json()
    assert 0 < qualified["count"] < every["count"]
    assert {row["state"] for row in qualified["results"]} == {"qualified"}
    owner = qualified["results"][0]["owner"]
    theirs = client.get(f"/api/v1/leads/?state=qualified&owner={owner}&ordering=company_name&page_size=200").json()
    assert theirs["count"] == Lead.objects.filter(state="qualified", owner_id=owner).count()
    assert [row["id"] for row in theirs["results"]] == list(
        Lead.objects.filter(state="qualified", owner_id=owner).order_by("company_name").values_list("pk", flat=True)
    )
    by_score = client.get("/api/v1/leads/?min_score=50&page_size=200").json()["results"]
    assert by_score and all(row["score"] >= 50 for row in by_score)
    assert client.get("/api/v1/leads/?min_score=many").status_code == 400
    converted = Lead.objects.filter(opportunity__isnull=False).first()
    found = client.get("/api/v1/leads/", {"q": converted.company_name}).json()["results"]
    assert converted.pk in {row["id"] for row in found}


def test_list_serializers_get_their_own_fields_each_in_the_language_of_the_moment(scale):
    first, second = LeadSerializer(), LeadSerializer()
    for name in ("owner", "state", "opportunity"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert str(LeadSerializer().fields["contact_name"].label) == "Contact name"  # built in English first
    with translation.override("zh-hans"):
        assert str(LeadSerializer().fields["contact_name"].label) not in ("", "Contact name")
