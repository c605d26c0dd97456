"""The invoice as a PDF for the customer (ReportLab): who bills whom, for which contract and payment
milestone, net, tax and total in the invoice's currency, the issue and due dates. Chinese text is set
in the CJK font of the setting ``PDF_CJK_FONT`` (a TrueType collection, embedded in the PDF; Debian's
fonts-wqy-microhei by default); when that file is missing, in ReportLab's STSong CID font, which the
reader's viewer must supply. Latin text and figures are in Helvetica."""

import io
from pathlib import Path

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .models import Invoice


def _register_cjk() -> str:
    path = Path(settings.PDF_CJK_FONT)
    if path.is_file():
        pdfmetrics.registerFont(TTFont("PortalCJK", str(path), subfontIndex=0))
        return "PortalCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


CJK = _register_cjk()


def _font_for(text: str) -> str:
    return "Helvetica" if all(ord(ch) < 128 for ch in text) else CJK


def _amount(value, currency: str) -> str:
    """Grouped thousands and two decimals, the way invoices are read in both languages."""
    return f"{value:,.2f} {currency}"


def invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF of an issued invoice (a draft has no number and is not sent)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(invoice.number or "")
    width, height = A4
    left, y = 20 * mm, height - 25 * mm

    def line(label: str, value: str, size: int = 10, bold: bool = False):
        nonlocal y
        latin = _font_for(label) == "Helvetica"
        pdf.setFont(("Helvetica-Bold" if bold else "Helvetica") if latin else CJK, size)
        pdf.drawString(left, y, label)
        pdf.setFont(_font_for(value), size)
        pdf.drawString(left + 55 * mm, y, value)
        y -= 7 * mm

    contract = invoice.contract
    customer = contract.opportunity.customer
    title = _("Invoice")
    pdf.setFont("Helvetica-Bold" if _font_for(title) == "Helvetica" else CJK, 18)
    pdf.drawString(left, y, title)
    pdf.setFont("Helvetica", 12)
    pdf.drawRightString(width - left, y, invoice.number or "")
    y -= 14 * mm
    line(_("Issue date"), formats.date_format(invoice.issue_date, "Y-m-d"))
    line(_("Due date"), formats.date_format(invoice.due_date, "Y-m-d"))
    line(_("Customer"), customer.name)
    if customer.tax_id:
        line(_("Tax ID"), customer.tax_id)
    line(_("Contract"), contract.number)
    line(_("Payment milestone"), invoice.payment_milestone.name)
    y -= 4 * mm
    pdf.setStrokeColor(colors.grey)
    pdf.line(left, y + 3 * mm, width - left, y + 3 * mm)
    line(_("Net amount"), _amount(invoice.amount, invoice.currency))
    line(_("Tax (%(rate)s%%)") % {"rate": invoice.tax_rate_percent}, _amount(invoice.tax_amount, invoice.currency))
    line(_("Total"), _amount(invoice.total, invoice.currency), size=12, bold=True)
    y -= 6 * mm
    note = _("Please pay by the due date, quoting %(number)s. Amounts in %(cur)s.") % {
        "number": invoice.number,
        "cur": invoice.currency,
    }
    pdf.setFont(_font_for(note), 8)
    pdf.drawString(left, y, note)
    footer = str(_("LTC portal · %(base)s books") % {"base": settings.BASE_CURRENCY})
    pdf.setFont(_font_for(footer), 8)
    pdf.drawString(left, 15 * mm, footer)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
