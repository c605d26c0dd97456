"""ltc_portal.core.bulk.update_many writes the named fields of many rows in one UPDATE … FROM (VALUES …)
per batch: JSON, decimals, NULLs, text; other fields and other rows untouched."""

import datetime
from decimal import Decimal

from ltc_portal.core.bulk import update_many
from performance.models import Appraisal, AppraisalCycle


def test_update_many_writes_only_the_named_fields_of_the_given_rows(make_user):
    cycle = AppraisalCycle.objects.create(
        name="Bulk", kind="monthly", start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31)
    )
    rows = [
        Appraisal.objects.create(cycle=cycle, employee=make_user(f"bulk-{i}"), project_role="engineer", advice="kept")
        for i in range(5)
    ]
    for i, a in enumerate(rows[:4]):
        a.results = [{"code": "x", "value": str(i), "note": '它\'s "quoted"'}] if i else []
        a.score = Decimal("12.34") * i if i != 2 else None
        a.grade = "SABCD"[i]
        a.advice = "not written"
    assert update_many(Appraisal, rows[:4], ["results", "score", "grade"], batch_size=3) == 4
    got = {a.pk: a for a in Appraisal.objects.filter(cycle=cycle)}
    for a in rows[:4]:
        fresh = got[a.pk]
        assert (fresh.results, fresh.score, fresh.grade, fresh.advice) == (a.results, a.score, a.grade, "kept")
    untouched = got[rows[4].pk]
    assert (untouched.results, untouched.score, untouched.grade) == ([], None, "")
    assert update_many(Appraisal, [], ["score"]) == 0
