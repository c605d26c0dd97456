"""Cost entries from a CSV or Excel file on finance's import page: every row checked like the bulk API,
all or nothing, a report by row as the user sees it in Excel, progress recorded, finance only."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from finance.models import CostEntry, CostImport
from tests.finance.test_accounting import PREVIOUS_MONTH_DAY, TODAY, entry, project_in_build
from tests.opportunities.factories import Cast

URL = "/finance/costs/import/"


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project(cast):
    return project_in_build(cast)


def csv_file(lines: list[str], name="costs.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(encoding), content_type="text/csv")


def upload(client, file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued once the upload commits
        r = client.post(URL, {"file": file})
    assert r.status_code == 302, r.content.decode()[:500]
    return CostImport.objects.get(pk=int(r["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_a_good_csv_is_imported_whole(web, cast, project, django_capture_on_commit_callbacks):
    number = project.contract.number
    lines = [
        "project,date,category,amount,currency,description,source_system,source_ref",
        f'{project.pk},{PREVIOUS_MONTH_DAY.isoformat()},labour,"12,000.50",CNY,Installers,erp,ERP-1',
        f"{number},{TODAY.strftime('%Y/%m/%d')},Equipment,300,cny,Cables,erp,ERP-2",
    ]
    imp = upload(web.as_user(cast.finance), csv_file(lines), django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert (imp.status, imp.total_rows, imp.processed_rows, imp.imported_count) == ("imported", 2, 2, 2)
    entries = CostEntry.objects.filter(source_system="erp").order_by("source_ref")
    assert [(e.category, e.amount, e.currency, e.state) for e in entries] == [
        ("labour", Decimal("12000.50"), "CNY", "approved"),
        ("equipment", Decimal("300.00"), "CNY", "approved"),
    ]
    page = web.as_user(cast.finance).get(reverse("finance:cost-import-detail", args=[imp.pk])).content.decode()
    assert "2 of 2 rows checked" in page and "100%" in page


def test_one_bad_row_rejects_the_file_with_a_report_by_excel_row(
    web, cast, project, django_capture_on_commit_callbacks
):
    taken = entry(project, cast.finance, TODAY, "labour", "10.00", source_system="erp", source_ref="ERP-9")
    wb = Workbook()
    ws = wb.active
    ws.append(["合同编号", "日期", "类别", "金额", "币种", "摘要", "来源系统", "单据号"])
    ws.append([project.contract.number, PREVIOUS_MONTH_DAY, "人工", 500, "CNY", "安装", "erp", "ERP-10"])
    ws.append([project.contract.number, "yesterday", "labour", "abc", "CNY", "bad", "erp", "ERP-11"])
    ws.append(["C-404", TODAY, "labour", 5, "CNY", "nobody's", "erp", "ERP-12"])
    ws.append([project.contract.number, TODAY, "labour", -5, "CNY", "no original", "erp", "ERP-13"])
    ws.append([project.contract.number, TODAY, "labour", 5, "CNY", "sent before", "erp", taken.source_ref])
    buffer = io.BytesIO()
    wb.save(buffer)
    file = SimpleUploadedFile("costs.xlsx", buffer.getvalue())
    imp = upload(web.as_user(cast.finance), file, django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert (imp.status, imp.invalid_rows, imp.imported_count) == ("rejected", 4, 0)
    problems = {(r["row"], r["field"]) for r in imp.report}
    assert problems == {(3, "date"), (3, "amount"), (4, "project"), (5, "amount"), (6, "source_ref")}
    assert CostEntry.objects.filter(source_system="erp").count() == 1  # only the one recorded before
    page = web.as_user(cast.finance).get(reverse("finance:cost-import-detail", args=[imp.pk])).content.decode()
    assert "nothing was imported" in page and 'id="import-report"' in page


def test_unreadable_files_fail_in_words(web, cast, project, django_capture_on_commit_callbacks):
    client = web.as_user(cast.finance)
    imp = upload(client, csv_file(["project,amount", "1,2"]), django_capture_on_commit_callbacks)
    imp.refresh_from_db()
    assert imp.status == "failed" and "date, category, currency, description" in imp.error
    broken = upload(client, SimpleUploadedFile("costs.xlsx", b"not a zip"), django_capture_on_commit_callbacks)
    broken.refresh_from_db()
    assert broken.status == "failed" and "Excel" in broken.error
    r = client.post(URL, {"file": SimpleUploadedFile("costs.pdf", b"%PDF")})
    assert r.status_code == 200 and "Upload a .csv or .xlsx file." in r.content.decode()
    assert not CostEntry.objects.exists()


def test_only_finance_imports(web, cast, project, make_user):
    for user in (cast.pm, cast.owner, make_user("imp-hr", roles=["hr"])):
        assert web.as_user(user).get(URL).status_code == 403
        assert web.as_user(user).post(URL, {"file": csv_file(["project"])}).status_code == 403
    assert not CostImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_in_words(web, cast, project, settings):
    settings.COST_IMPORT_MAX_BYTES = 100
    r = web.as_user(cast.finance).post(URL, {"file": csv_file(["project,date"] + ["1,2026-01-01"] * 20)})
    assert r.status_code == 200 and "larger than" in r.content.decode()
    assert not CostImport.objects.exists()
