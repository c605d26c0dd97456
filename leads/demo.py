"""Demo customers and leads in every state, with Chinese and English company names."""

from decimal import Decimal

from ltc_portal.core.demo import seeder

from . import services
from .models import Customer, Lead

CUSTOMERS = [
    ("上海智慧城市建设有限公司", "91310000MA1FL0XX1A", "政府/智慧城市", "sales"),
    ("Northwind Logistics Ltd.", "GB123456789", "Logistics", "sales2"),
]

# company, contact, email, phone, source, need, budget, currency, timeline, target state, owner
LEADS = [
    (
        "深圳前海数据科技有限公司",
        "刘洋",
        "liu.yang@qhdata.cn",
        "+86 138 0013 8001",
        "referral",
        "园区数据中心扩容与运维外包",
        "2800000",
        "CNY",
        "within_3_months",
        "qualified",
        "sales",
    ),
    (
        "杭州云栖智能制造股份有限公司",
        "王芳",
        "wangfang@yunqi-mfg.com",
        "13900139002",
        "event",
        "工厂 5G 专网与 MES 集成",
        "1500000",
        "CNY",
        "3_to_6_months",
        "nurturing",
        "sales",
    ),
    (
        "Contoso Healthcare GmbH",
        "Anna Müller",
        "anna.mueller@contoso-health.de",
        "+49 30 1234567",
        "website",
        "Hospital network refresh, 40 sites",
        "900000",
        "EUR",
        "6_to_12_months",
        "contacted",
        "sales",
    ),
    (
        "成都天府政务服务中心",
        "张伟",
        "zhangwei@tfzw.gov.cn",
        "028-86660003",
        "tender",
        "政务通一体化平台建设",
        "5200000",
        "CNY",
        "within_3_months",
        "converted",
        "sales",
    ),
    (
        "Fabrikam Retail Inc.",
        "John Smith",
        "j.smith@fabrikam.com",
        "+1 415 555 0104",
        "cold_call",
        "",
        None,
        "USD",
        "",
        "new",
        "sales2",
    ),
    (
        "北京星河教育集团有限公司",
        "陈静",
        "chenjing@xinghe-edu.cn",
        "010-66660005",
        "campaign",
        "智慧校园一期",
        "600000",
        "CNY",
        "over_12_months",
        "disqualified",
        "sales2",
    ),
    (
        "Adventure Works Energy PLC",
        "Priya Patel",
        "priya.patel@adventure-energy.co.uk",
        "+44 20 7946 0006",
        "partner",
        "SCADA upgrade and 24x7 managed service",
        "1200000",
        "GBP",
        "3_to_6_months",
        "new",
        "sales2",
    ),
    (
        "武汉光谷智慧园区运营有限公司",
        "赵磊",
        "zhaolei@ovpark.com",
        "027-87770007",
        "referral",
        "智慧园区 IOC 与安防集成",
        "3300000",
        "CNY",
        "within_3_months",
        "contacted",
        "sales",
    ),
]

PATH = {
    "new": [],
    "contacted": ["contact"],
    "nurturing": ["contact", "nurture"],
    "qualified": ["contact", "qualify"],
    "converted": ["contact", "qualify", "convert"],
    "disqualified": ["contact", "disqualify"],
}


@seeder(order=10)
def seed_leads(users):
    for name, tax_id, industry, owner in CUSTOMERS:
        if not Customer.objects.filter(tax_id=tax_id).exists():
            services.customer_create(user=users[owner], data={"name": name, "tax_id": tax_id, "industry": industry})
    for company, contact, email, phone, source, need, budget, currency, timeline, target, owner in LEADS:
        if Lead.objects.filter(email=email).exists():
            continue
        user = users[owner]
        lead = services.lead_create(
            user=user,
            data={
                "company_name": company,
                "contact_name": contact,
                "email": email,
                "phone": phone,
                "source": source,
                "need": need,
                "budget_amount": Decimal(budget) if budget else None,
                "budget_currency": currency,
                "timeline": timeline,
                "notes": "",
            },
        )
        for step in PATH[target]:
            reason = "预算未获批 / budget not approved this year" if step == "disqualify" else ""
            lead = services.lead_transition(lead=lead, name=step, user=user, reason=reason)
