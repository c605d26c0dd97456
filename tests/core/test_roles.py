from django.contrib.auth.models import Group

from ltc_portal.core.roles import Role


def test_every_role_group_exists(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    assert {r.value for r in Role} == {
        "sales",
        "sales_director",
        "solution",
        "delivery",
        "pmo",
        "finance",
        "executive",
        "hr",
    }
