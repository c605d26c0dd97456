"""Excel downloads write text as text (issue 11 §1): a cell starting with ``=``, ``+``, ``-`` or ``@``
is never a formula, whatever export it comes from (every export goes through ltc_portal.core.excel)."""

import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from ltc_portal.core import excel
from tests.leads.factories import LeadFactory

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "=1+1"]


def test_text_that_looks_like_a_formula_is_written_as_text():
    content = excel.workbook("T", ["a", "n"], [[text, Decimal("-5.50")] for text in HOSTILE])
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element at all
    ws = load_workbook(io.BytesIO(content)).active
    cells = [(row[0].value, row[0].data_type, row[1].value, row[1].data_type) for row in ws.iter_rows(min_row=2)]
    assert [(c[0], c[1]) for c in cells] == [(text, "s") for text in HOSTILE]
    assert all(c[2] == -5.5 and c[3] == "n" for c in cells)  # numbers stay numbers, negative ones too


def test_the_lead_export_writes_a_hostile_company_name_as_text(web, sales):
    LeadFactory(owner=sales, company_name="=cmd|' /C calc'!A0", contact_name="@evil", campaign="+33")
    r = web.as_user(sales).get("/leads/export.xlsx")
    assert r.status_code == 200
    sheet = zipfile.ZipFile(io.BytesIO(r.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    ws = load_workbook(io.BytesIO(r.content)).active
    row = [c for c in next(ws.iter_rows(min_row=2))]
    assert row[1].value == "=cmd|' /C calc'!A0" and row[1].data_type == "s"
    assert row[2].value == "@evil" and row[6].value == "+33"
