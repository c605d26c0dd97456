"""Scale data of leads (ltc_portal/core/scale.py): customers (one per five opportunities), three contacts
each, and the leads: every fifth one converted (linked to its customer and contact; the opportunities
seeder opens its opportunity), the others new, contacted, nurturing, qualified or disqualified.
Bulk inserts, no transition-log rows."""

from decimal import Decimal

from ltc_portal.core.scale import PREFIX, Scale, between, index_of, name, seeder, unit

from .models import Contact, Customer, Lead, LeadSource, LeadState, Timeline
from .normalize import normalize_company, normalize_email

COMPANIES = [
    "华东智能制造有限公司",
    "深圳前海数据科技有限公司",
    "成都天府政务服务中心",
    "杭州云栖物联网股份有限公司",
    "北京京能电力工程有限公司",
    "广州南沙港务集团",
    "武汉光谷生物医药有限公司",
    "Northwind Logistics Ltd.",
    "Contoso Healthcare GmbH",
    "Fabrikam Retail Group",
    "Tailspin Airports Inc.",
    "Litware Banking Systems",
    "苏州工业园区智慧城市公司",
    "重庆长江轨道交通有限公司",
    "Adventure Works Mining Pty",
]
INDUSTRIES = ["制造 / Manufacturing", "政府 / Government", "能源 / Energy", "物流 / Logistics", "医疗 / Healthcare"]
NEEDS = [
    "园区数据中心扩容与运维外包",
    "工厂 5G 专网与 MES 集成",
    "Hospital network refresh across sites",
    "智慧城市数据中台建设",
    "Warehouse automation and WMS roll-out",
    "变电站智能巡检系统",
]
CONTACT_NAMES = ["刘洋", "王芳", "张伟", "Anna Müller", "李静", "Tom Baker", "陈杰", "Priya Rao", "赵敏"]
OPEN_STATES = [
    (0.25, LeadState.NEW),
    (0.45, LeadState.CONTACTED),
    (0.65, LeadState.NURTURING),
    (0.75, LeadState.QUALIFIED),
    (1.0, LeadState.DISQUALIFIED),
]
SOURCES = list(LeadSource.values)
TIMELINES = list(Timeline.values)


def _customers(scale: Scale) -> tuple[int, int]:
    wanted = max(1, scale.counts["opportunities"] // 5)
    have = Customer.objects.filter(name__startswith=PREFIX).count()
    made = Customer.objects.bulk_create(
        [
            Customer(
                name=(full := name(c, COMPANIES[c % len(COMPANIES)], width=5)),
                name_normalized=normalize_company(full),
                industry=INDUSTRIES[c % len(INDUSTRIES)],
                owner_id=scale.person("sales", c, "customer"),
            )
            for c in range(have, wanted)
        ],
        batch_size=scale.batch_size,
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                customer=customer,
                name=CONTACT_NAMES[(c * 3 + k) % len(CONTACT_NAMES)],
                email=normalize_email(f"contact{k}.c{c:05d}@scale.example.com"),
                phone=f"+86 138 {c % 10000:04d} {k:04d}",
                title=["CIO", "采购经理 / Procurement", "项目总监 / Programme director"][k],
            )
            for c, customer in zip(range(have, wanted), made, strict=True)
            for k in range(3)
        ],
        batch_size=scale.batch_size,
    )
    return len(made), len(contacts)


def _budget(key) -> Decimal:
    return Decimal(between(5, 300, key, "budget")) * 10000


@seeder(order=10)
def seed_leads(scale: Scale) -> dict:
    customers, contacts = _customers(scale)
    by_index = {
        index_of(c.name): c for c in Customer.objects.filter(name__startswith=PREFIX).only("pk", "name", "owner_id")
    }
    people = {}
    for contact in Contact.objects.filter(customer__name__startswith=PREFIX).order_by("pk"):
        people.setdefault(contact.customer_id, []).append(contact)
    n_customers = len(by_index)
    have = Lead.objects.filter(company_name__startswith=PREFIX).count()
    batch = []
    added = 0
    for lead_index in range(have, scale.counts["leads"]):
        key = ("lead", lead_index)
        source = SOURCES[int(unit(*key, "source") * len(SOURCES))]
        currency = "CNY" if unit(*key, "cur") < 0.8 else ("USD" if unit(*key, "cur") < 0.95 else "EUR")
        if lead_index % 5 == 0:  # converted: the customer and contact it was linked to
            r = lead_index // 5
            customer = by_index[r % n_customers]
            contact = people[customer.pk][(r // n_customers) % 3]
            lead = Lead(
                owner_id=customer.owner_id,
                source=source,
                company_name=customer.name,
                contact_name=contact.name,
                email=contact.email,
                phone=contact.phone,
                need=NEEDS[r % len(NEEDS)],
                budget_amount=_budget(key),
                budget_currency=currency,
                timeline=TIMELINES[int(unit(*key, "timeline") * 3)],
                notes="Qualified in discovery call; budget confirmed by the customer's CIO.",
                customer_id=customer.pk,
                customer_contact_id=contact.pk,
                state=LeadState.CONVERTED,
            )
        else:
            state = next(s for limit, s in OPEN_STATES if unit(*key, "state") < limit)
            qualified = state == LeadState.QUALIFIED or unit(*key, "need") < 0.5
            lead = Lead(
                owner_id=scale.person("sales", *key),
                source=source,
                campaign="2025 行业峰会 / Industry summit" if source == LeadSource.EVENT else "",
                company_name=name(lead_index, COMPANIES[lead_index % len(COMPANIES)]),
                contact_name=CONTACT_NAMES[lead_index % len(CONTACT_NAMES)],
                email=f"lead{lead_index:06d}@scale.example.com",
                phone=f"+86 139 {lead_index % 10000:04d} {lead_index // 10000:04d}",
                need=NEEDS[lead_index % len(NEEDS)] if qualified else "",
                budget_amount=_budget(key) if qualified else None,
                budget_currency=currency,
                timeline=TIMELINES[int(unit(*key, "timeline") * len(TIMELINES))] if qualified else "",
                disqualify_reason="No budget this year" if state == LeadState.DISQUALIFIED else "",
                state=state,
            )
        lead.derive()  # normalised keys and score, as save() would
        batch.append(lead)
        if len(batch) >= scale.batch_size:
            Lead.objects.bulk_create(batch)
            added += len(batch)
            batch = []
    Lead.objects.bulk_create(batch)
    added += len(batch)
    return {"customers": customers, "contacts": contacts, "leads": added}
