"""Every lead is born with its ``open`` row in the transition log, whichever door created it: the
API, the page form, or the import."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.models import Lead
from ltc_portal.core.models import TransitionLog

HEADER = "company_name,contact_name,email,phone,source,budget_amount,budget_currency,timeline\n"


def history(api, user, lead_id):
    r = api.as_user(user).get(reverse("lead-history", args=[lead_id]))
    assert r.status_code == 200, r.json()
    return r.json()


def first_row(rows):
    assert rows, "the lead has no history"
    return (rows[0]["transition"], rows[0]["source"], rows[0]["target"], rows[0]["by"])


def test_a_lead_created_through_the_api_starts_with_its_open_row(api, sales):
    r = api.as_user(sales).post(
        reverse("lead-list"), {"company_name": "Initech", "email": "peter@initech.com"}, format="json"
    )
    assert r.status_code == 201, r.json()
    rows = history(api, sales, r.json()["id"])
    assert first_row(rows) == ("open", "", "new", sales.username)
    assert len(rows) == 1


def test_a_lead_created_through_the_page_starts_with_the_same_row(web, api, sales):
    r = web.as_user(sales).post(
        reverse("leads:lead-create"),
        {"company_name": "Wayne Enterprises", "email": "", "source": "website", "budget_currency": "CNY"},
    )
    assert r.status_code == 302
    lead = Lead.objects.get(company_name="Wayne Enterprises")
    rows = history(api, sales, lead.pk)
    assert first_row(rows) == ("open", "", "new", sales.username)
    assert len(rows) == 1


def test_every_imported_lead_has_exactly_one_open_row(api, sales, django_capture_on_commit_callbacks):
    content = (
        HEADER + "Alpha Ltd,Ann,ann@alpha.com,138,referral,1000,CNY,within_3_months\n"
        "Beta GmbH,Ben,,,event,,EUR,\nGamma Co,,,,website,,,\n"
    ).encode()
    client = api.as_user(sales)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("lead-import-file"), {"file": SimpleUploadedFile("leads.csv", content)}, format="multipart"
        )
    assert r.status_code == 202, r.json()
    assert client.get(reverse("lead-import-detail", args=[r.json()["id"]])).json()["status"] == "imported"
    leads = list(Lead.objects.order_by("company_name"))
    assert [lead.company_name for lead in leads] == ["Alpha Ltd", "Beta GmbH", "Gamma Co"]
    for lead in leads:
        rows = list(TransitionLog.objects.for_subject(lead))
        opens = [row for row in rows if row.transition == "open"]
        assert len(opens) == 1, (lead.company_name, [(x.transition, x.source, x.target) for x in rows])
        assert (opens[0].source, opens[0].target, opens[0].by) == ("", "new", sales)
        assert first_row(history(api, sales, lead.pk)) == ("open", "", "new", sales.username)


def test_a_rejected_import_logs_nothing(api, sales, django_capture_on_commit_callbacks):
    content = (HEADER + "Good Co,,,,website,,,\n,No company,,,website,,,\n").encode()
    before = TransitionLog.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        r = api.as_user(sales).post(
            reverse("lead-import-file"), {"file": SimpleUploadedFile("leads.csv", content)}, format="multipart"
        )
    assert r.status_code == 202
    assert not Lead.objects.exists()
    assert TransitionLog.objects.count() == before
