import pytest
from django.db import connection, transaction
from django.db.utils import InternalError

from leads import services
from ltc_portal.core.models import AppendOnlyError, TransitionLog
from tests.leads.factories import LeadFactory


@pytest.fixture
def logged_lead(sales):
    lead = LeadFactory(owner=sales)
    return services.lead_transition(lead=lead, name="contact", user=sales)


def test_transition_writes_one_log_row(logged_lead, sales):
    rows = list(TransitionLog.objects.for_subject(logged_lead))
    assert [(r.transition, r.source, r.target, r.by) for r in rows] == [("contact", "new", "contacted", sales)]


def test_log_row_cannot_be_updated_or_deleted_through_the_orm(logged_lead):
    row = TransitionLog.objects.for_subject(logged_lead).get()
    row.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        TransitionLog.objects.filter(pk=row.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        TransitionLog.objects.filter(pk=row.pk).delete()
    assert TransitionLog.objects.get(pk=row.pk).reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_database_refuses_raw_update_and_delete(logged_lead):
    row = TransitionLog.objects.for_subject(logged_lead).get()
    for sql in (
        "UPDATE core_transitionlog SET reason = 'x' WHERE id = %s",
        "DELETE FROM core_transitionlog WHERE id = %s",
    ):
        with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [row.pk])
    assert TransitionLog.objects.filter(pk=row.pk, reason="").exists()


def test_admin_shows_the_log_read_only(client, logged_lead, make_user):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    row = TransitionLog.objects.for_subject(logged_lead).get()
    assert client.get("/admin/core/transitionlog/").status_code == 200
    page = client.get(f"/admin/core/transitionlog/{row.pk}/change/")
    assert page.status_code == 200
    assert b'name="reason"' not in page.content  # shown, not editable
    assert client.post(f"/admin/core/transitionlog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TransitionLog.objects.filter(pk=row.pk).exists()


def test_a_portal_written_reason_survives_copy_and_pickle():
    import copy
    import pickle

    from ltc_portal.core.fsm import said

    reason = said("%(code)s approved", code="ATI")
    for again in (copy.copy(reason), copy.deepcopy(reason), pickle.loads(pickle.dumps(reason))):
        assert again == "ATI approved" and again.kept == ["%(code)s approved", {"code": "ATI"}]
