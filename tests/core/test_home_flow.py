"""The director's funnel and stuck deals, and the executive's LTC flow: every figure on a worked
example whose dates are set in the transition log, what each reader may see, and constant queries."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance import flow
from finance import services as finance
from opportunities import services as sales
from tests.finance.factories import invoice_every_payment
from tests.finance.test_money_edges import receipt
from tests.leads.factories import CustomerFactory
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati, project_in_plan_with_contract

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def cast(make_user):
    return Cast(make_user, prefix="flow")


def _on(days_ago: int):
    """Act that many days ago (the transition log is append-only: its dates are made, not edited)."""
    return time_machine.travel(NOW - datetime.timedelta(days=days_ago), tick=False)


def _deal(owner, name):
    """A deal opened through the service, as users open them (its creation is in the log)."""
    return sales.opportunity_create(
        user=owner,
        data={
            "customer": CustomerFactory(owner=owner),
            "name": name,
            "need_summary": "Campus network",
            "customer_budget": Decimal("1200000.00"),
            "expected_value": Decimal("1000000.00"),
            "probability": 40,
            "expected_close_date": timezone.localdate() + datetime.timedelta(days=90),
        },
    )


def _pay(cast, invoice, amount: str, reference: str):
    """A receipt of ``amount`` today, all of it allocated to ``invoice``."""
    project = invoice.contract.projects.get()
    return receipt(
        cast, project, timezone.localdate(), amount, [{"invoice": invoice, "amount": Decimal(amount)}], reference
    )


def _panel(page: str, panel_id: str) -> str:
    start = page.index(f'id="{panel_id}"')
    return page[start : page.index("</table>", start)]


def test_the_funnel_counts_converts_and_takes_median_days_from_the_log(web, cast, settings):
    settings.STUCK_DEAL_DAYS = 5
    with _on(20):
        a = _deal(cast.owner, "Deal A")
    with _on(10):
        pass_ati(a, cast)  # 10 days in validating, in analysis for 10 days now
    with _on(8):
        b = _deal(cast.owner, "Deal B")
    with _on(4):
        pass_ati(b, cast)  # 4 days in validating
    with _on(6):
        c = _deal(cast.owner, "Deal C")
    with _on(3):
        sales.opportunity_transition(opportunity=c, name="abandon", user=cast.owner, reason="No budget after all")

    page = web.as_user(cast.director).get("/").content.decode()
    funnel = _panel(page, "panel-funnel")
    row = funnel.split('data-stage="validating"')[1].split("</tr>")[0]
    assert ">3<" in row and ">4.0<" in row  # three opened; median of 10, 4 and 3 days
    row = funnel.split('data-stage="analysis"')[1].split("</tr>")[0]
    assert ">2<" in row and "67%" in row  # two of three reached analysis
    assert "abandoned: 1" in funnel.split("</table>")[-1] or "abandoned: 1" in page

    stuck = _panel(page, "panel-stuck")
    assert "Deal A" in stuck and "10 days" in stuck and "Deal B" not in stuck and "Deal C" not in stuck

    # a salesperson sees no funnel (a director's panel) but their own stuck deals only
    with _on(40):
        _deal(cast.director, "Not yours")
    page = web.as_user(cast.owner).get("/").content.decode()
    assert 'id="panel-funnel"' not in page and "Deal A" in _panel(page, "panel-stuck") and "Not yours" not in page


def test_the_funnel_queries_do_not_grow_with_the_deals(client, cast):
    for i in range(2):
        pass_ati(OpportunityFactory(owner=cast.owner, name=f"Q{i}"), cast)

    def count():
        client.force_login(cast.director)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(4):
        pass_ati(OpportunityFactory(owner=cast.owner, name=f"R{i}"), cast)
    assert count() == few


def test_the_executive_sees_lead_to_cash_in_base_currency(web, cast, make_user):
    project = project_in_plan_with_contract(cast)
    invoice = invoice_every_payment(project, cast)[0]
    _pay(cast, invoice, "100000.00", "BANK-FLOW")
    lost = pass_ati(OpportunityFactory(owner=cast.owner, name="Gone"), cast)
    sales.opportunity_transition(opportunity=lost, name="lose", user=cast.owner, reason="Budget cut")
    with _on(400):  # opened before the window: neither counted nor its reason listed, though lost today
        old = pass_ati(OpportunityFactory(owner=cast.owner, name="Old deal"), cast)
    sales.opportunity_transition(opportunity=old, name="lose", user=cast.owner, reason="Lost long ago")
    page = web.as_user(cast.executive).get("/").content.decode()
    flow = page[page.index('id="panel-ltc-flow"') :]
    counts = {k: flow.split(f'data-count="{k}">')[1].split("<")[0] for k in ("opportunity", "bid", "contract")}
    assert counts == {"opportunity": "2", "bid": "1", "contract": "1"}
    values = {
        k: flow.split(f'data-value="{k}">')[1].split("<")[0].strip() for k in ("contract", "invoiced", "collected")
    }
    assert values == {"contract": "1,000,000", "invoiced": f"{invoice.total:,.0f}", "collected": "100,000"}
    bid = flow.split('data-value="bid">')[1].split("<")[0].strip()  # the deal that reached bidding, valued
    assert bid == f"{project.opportunity.expected_value:,.0f}"
    # each stage has its cycle time: the contract drafted to signed, the invoice drafted to issued
    for stage in ("contract", "invoiced"):
        assert "under a day" in flow.split(f'data-days="{stage}">')[1].split("</td>")[0], stage
    assert "Budget cut (1)" in flow and "Lost: 1" in flow and "Lost long ago" not in flow
    # the deals left their first stages at once: said as "under a day", not "about 0.0 days"
    opp_days = flow.split('data-days="opportunity">')[1].split("</td>")[0]
    assert "under a day" in opp_days and "0.0" not in flow.split('id="ltc-leakage"')[0]
    assert 'data-chart="home-bookings-chart"' in flow and "Portfolio health" in flow

    # nobody but the executive gets the panel
    for person in (cast.owner, cast.director, cast.finance, cast.pm):
        assert 'id="panel-ltc-flow"' not in web.as_user(person).get("/").content.decode()
    assert make_user("flow-hr", roles=["hr"])


def test_the_flow_costs_constant_queries(client, cast):
    project_in_plan_with_contract(cast)

    def count(url="/?refresh=1"):  # the flow computed now, not read from the reader's snapshot
        client.force_login(cast.executive)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    OpportunityFactory(owner=cast.owner, name="Open from the start")  # every panel has rows already
    count()  # content types cached, as in a running server
    few = count()
    for i in range(3):
        pass_ati(OpportunityFactory(owner=cast.owner, name=f"More {i}"), cast)
    assert count() == few
    assert count("/") < few - 15  # from the snapshot: none of the flow's own queries (two dozen)


def _collected(page: str) -> str:
    return page.split('data-value="collected">')[1].split("<")[0].strip()


def _reader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_flow_is_a_snapshot_per_reader_with_its_time_and_a_refresh(cast, make_user, settings):
    """What an executive reads is the flow as of a moment (at most FLOW_SNAPSHOT_SECONDS old): a receipt
    recorded after it shows at the refresh, at the button or when the snapshot is older than the setting;
    another reader, or the same one in another language, has a snapshot of their own."""
    project = project_in_plan_with_contract(cast)
    invoice = invoice_every_payment(project, cast)[0]

    def receive(amount, reference):
        _pay(cast, invoice, amount, reference)

    receive("100000.00", "BANK-SNAP-1")
    executive = _reader(cast.executive)
    with time_machine.travel(NOW, tick=False):
        page = executive.get("/").content.decode()
    assert _collected(page) == "100,000" and 'id="ltc-flow-as-of"' in page and "?refresh=1" in page
    receive("50000.00", "BANK-SNAP-2")

    with time_machine.travel(NOW + datetime.timedelta(seconds=settings.FLOW_SNAPSHOT_SECONDS - 10), tick=False):
        assert _collected(executive.get("/home/panels/ltc-flow/").content.decode()) == "100,000"
        # a second executive, and the first in Chinese, read their own snapshot: taken now
        other = _reader(make_user("flow-exec-2", roles=["executive"]))
        assert _collected(other.get("/").content.decode()) == "150,000"
        zh = executive.get("/", headers={"accept-language": "zh-hans"}).content.decode()
        assert _collected(zh) == "150,000" and "已回款" in zh
        # the button: taken again now, for this reader
        refreshed = executive.get("/home/panels/ltc-flow/?refresh=1").content.decode()
        assert _collected(refreshed) == "150,000"
    receive("25000.00", "BANK-SNAP-3")
    with time_machine.travel(NOW + datetime.timedelta(seconds=2 * settings.FLOW_SNAPSHOT_SECONDS), tick=False):
        assert _collected(executive.get("/home/panels/ltc-flow/").content.decode()) == "175,000"  # older: taken again

    settings.FLOW_SNAPSHOT_SECONDS = 0  # no snapshot: every view computes the flow
    receive("5000.00", "BANK-SNAP-4")
    assert _collected(executive.get("/home/panels/ltc-flow/").content.decode()) == "180,000"


def test_an_invoice_written_off_after_a_part_was_paid_stays_invoiced_and_its_cash_collected(cast, rf):
    """The flow's invoiced is every invoice issued and not voided, its collected every receipt allocation
    (DOMAIN.md §5.1): writing off the rest of an invoice does not make its cash disappear."""
    project = project_in_plan_with_contract(cast)
    payment = project.contract.payment_milestones.get(state="due")
    mistake = finance.invoice_create(user=cast.finance, data={"payment_milestone": payment})
    mistake = finance.invoice_transition(invoice=mistake, name="issue", user=cast.finance)
    finance.invoice_transition(invoice=mistake, name="void", user=cast.finance, reason="Issued to the wrong entity")
    [invoice] = invoice_every_payment(project, cast)  # issued again: the voided one was never invoiced
    _pay(cast, invoice, "40000.00", "BANK-PART")
    request = rf.get("/")
    request.user = cast.executive

    def stages():
        return {s["key"]: s for s in flow.flow_context(request)["flow_stages"]}

    before = stages()
    finance.invoice_transition(invoice=invoice, name="write_off", user=cast.finance, reason="Customer insolvent")
    request.GET = request.GET.copy()
    request.GET["refresh"] = "1"
    after = stages()
    assert after["invoiced"]["value"] == before["invoiced"]["value"] == invoice.total
    assert after["collected"]["value"] == before["collected"]["value"] == Decimal("40000.00")
    assert after["collected"]["conversion"] == round(40000 * 100 / invoice.total)
