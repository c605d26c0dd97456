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


def test_a_label_in_a_portal_written_reason_is_said_again_in_the_readers_language():
    """A state's label passed to said() is kept as its message id, not frozen in the writer's language."""
    from django.utils import translation

    from ltc_portal.core.fsm import Said, said, say_again
    from opportunities.models import OpportunityState

    with translation.override("zh-hans"):  # a Chinese writer
        reason = said("Opportunity %(step)s: %(reason)s", step=OpportunityState.LOST.label, reason="价格")
    assert reason.kept == ["Opportunity %(step)s: %(reason)s", {"step": "Lost", "reason": "价格"}, ["step"]]
    with translation.override("en"):
        assert say_again(reason.kept) == "Opportunity Lost: 价格"
    with translation.override("zh-hans"):
        assert say_again(reason.kept) == "机会点已丢单：价格"
    assert say_again(["%(step)s", {"step": "Lost"}, "not a list"], "fallback") in ("Lost", "fallback")
    again = pickle_round_trip(reason)
    assert isinstance(again, Said) and again.kept == reason.kept


def pickle_round_trip(value):
    import pickle

    return pickle.loads(pickle.dumps(value))
