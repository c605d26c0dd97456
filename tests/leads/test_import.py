"""Lead import: the per-row report, all-or-nothing unless asked, progress, and the API."""

import io

import pytest
from openpyxl import Workbook

from leads import services
from leads.models import Lead, LeadImport

HEADER = "company_name,contact_name,email,phone,source,budget_amount,budget_currency,timeline\n"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode("utf-8")


def start(user, content, filename="leads.csv", valid_only=False, capture=None):
    with capture(execute=True):
        imp = services.lead_import_start(user=user, filename=filename, content=content, valid_only=valid_only)
    imp.refresh_from_db()
    return imp


def test_valid_file_imports_every_row(sales, django_capture_on_commit_callbacks):
    imp = start(
        sales,
        csv_bytes("Alpha Ltd,Ann,ann@alpha.com,138,referral,1000,CNY,within_3_months", "Beta GmbH,Ben,,,event,,EUR,"),
        capture=django_capture_on_commit_callbacks,
    )
    assert (imp.status, imp.total_rows, imp.processed_rows, imp.imported_count, imp.report) == ("imported", 2, 2, 2, [])
    alpha = Lead.objects.get(company_name="Alpha Ltd")
    assert (alpha.owner, alpha.state, alpha.source, alpha.budget_currency) == (sales, "new", "referral", "CNY")
    assert alpha.score > 0 and alpha.company_normalized == "alpha"


def test_any_invalid_row_rejects_the_whole_file_with_a_report(sales, django_capture_on_commit_callbacks):
    imp = start(
        sales,
        csv_bytes("Good Co,,,,website,,,", ",No Company,,,website,,,", "Bad Budget,,not-an-email,,website,-5,XXX,soon"),
        capture=django_capture_on_commit_callbacks,
    )
    assert imp.status == "rejected" and imp.imported_count == 0 and imp.invalid_rows == 2
    assert not Lead.objects.exists()
    problems = {(r["row"], r["field"]) for r in imp.report}
    assert problems == {
        (3, "company_name"),
        (4, "email"),
        (4, "budget_amount"),
        (4, "budget_currency"),
        (4, "timeline"),
    }


def test_valid_only_imports_the_good_rows(sales, django_capture_on_commit_callbacks):
    content = csv_bytes("Good Co,,,,website,,,", ",No Company,,,website,,,")
    imp = start(sales, content, valid_only=True, capture=django_capture_on_commit_callbacks)
    assert (imp.status, imp.imported_count, imp.invalid_rows) == ("imported", 1, 1)
    assert list(Lead.objects.values_list("company_name", flat=True)) == ["Good Co"]


def test_rejected_import_can_be_rerun_for_valid_rows(sales, django_capture_on_commit_callbacks):
    first = start(
        sales, csv_bytes("Good Co,,,,website,,,", ",x,,,website,,,"), capture=django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = services.lead_import_valid_rows(lead_import=first, user=sales)
    second.refresh_from_db()
    assert (second.status, second.imported_count, second.retried_from_id) == ("imported", 1, first.pk)
    with pytest.raises(Exception, match="Only a rejected import"):
        services.lead_import_valid_rows(lead_import=second, user=sales)


def test_chinese_headers_gb18030_and_excel(sales, django_capture_on_commit_callbacks):
    content = '公司名称,联系人,电话,预算,币种\n北京测试科技有限公司,王五,010-1234567,"1,200,000",CNY\n'.encode(
        "gb18030"
    )
    imp = start(sales, content, capture=django_capture_on_commit_callbacks)
    assert imp.status == "imported"
    lead = Lead.objects.get()
    assert (lead.company_name, lead.contact_name, str(lead.budget_amount)) == (
        "北京测试科技有限公司",
        "王五",
        "1200000.00",
    )

    wb = Workbook()
    wb.active.append(["Company", "E-mail", "Source", "Timeline"])
    wb.active.append(["Excel Corp", "x@excel.com", "Partner", "3 to 6 months"])
    buf = io.BytesIO()
    wb.save(buf)
    imp = start(sales, buf.getvalue(), filename="leads.xlsx", capture=django_capture_on_commit_callbacks)
    assert imp.status == "imported", imp.report
    lead = Lead.objects.get(company_name="Excel Corp")
    assert (lead.source, lead.timeline) == ("partner", "3_to_6_months")


@pytest.mark.parametrize(
    "filename,content,message",
    [
        ("leads.csv", b"name_of_thing,other\nx,y\n", "no company column"),
        ("leads.xlsx", b"this is not a zip", "not a readable Excel"),
        ("leads.csv", b"", "empty"),
    ],
)
def test_unreadable_files_fail_with_a_clear_error(
    sales, django_capture_on_commit_callbacks, filename, content, message
):
    imp = start(sales, content, filename=filename, capture=django_capture_on_commit_callbacks)
    assert imp.status == "failed" and message in imp.error
    assert not Lead.objects.exists()


def test_wrong_file_type_is_refused_before_queueing(sales):
    with pytest.raises(Exception, match="csv or .xlsx"):
        services.lead_import_start(user=sales, filename="leads.pdf", content=b"%PDF")
    assert not LeadImport.objects.exists()


def test_roles_without_sales_cannot_import(finance):
    with pytest.raises(Exception, match="may not import"):
        services.lead_import_start(user=finance, filename="l.csv", content=csv_bytes("A,,,,,,,"))


def test_api_import_and_report(api, sales, other_sales, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api.as_user(sales)
    upload = SimpleUploadedFile("leads.csv", csv_bytes("Good Co,,,,website,,,", ",x,,,website,,,"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/v1/leads/import/", {"file": upload}, format="multipart")
    assert r.status_code == 202
    imp_id = r.json()["id"]
    body = client.get(f"/api/v1/lead-imports/{imp_id}/").json()
    assert body["status"] == "rejected" and body["report"] == [
        {"row": 3, "field": "company_name", "message": "This field cannot be blank."}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/lead-imports/{imp_id}/import-valid-rows/")
    assert r.status_code == 202
    assert client.get(f"/api/v1/lead-imports/{r.json()['id']}/").json()["imported_count"] == 1
    assert api.as_user(other_sales).get(f"/api/v1/lead-imports/{imp_id}/").status_code == 404
    r = client.post("/api/v1/leads/import/", {}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()


def test_import_page_shows_report_and_progress(web, sales, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web.as_user(sales)
    upload = SimpleUploadedFile("leads.csv", csv_bytes(",x,,,website,,,"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/leads/import/", {"file": upload})
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "import-report" in page and "This field cannot be blank." in page and "progress-bar" in page
    partial = client.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="import-status"')


def test_large_file_reports_progress_and_imports_in_bulk(
    sales, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    rows = [f"Company {i},,c{i}@x.com,,website,,," for i in range(1500)]
    with django_assert_max_num_queries(100):  # progress every 100 rows + 500-row batches, never per row
        imp = start(sales, csv_bytes(*rows), capture=django_capture_on_commit_callbacks)
    assert (imp.status, imp.imported_count, imp.processed_rows, imp.progress_percent) == ("imported", 1500, 1500, 100)
    assert Lead.objects.count() == 1500
