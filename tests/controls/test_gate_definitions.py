"""Gate definitions are data, the code relies on some of them: ``manage.py check`` says when the two
disagree (a used gate missing, a step its subject lacks, a used gate inactive while subjects wait
at it), and the admin refuses to deactivate a gate that subjects wait at."""

import io
import json

import pytest
from django.contrib.messages import constants as message_levels
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from delivery.models import Project
from ltc_portal.controls.models import GateDefinition, GateReview
from tests.opportunities.factories import Cast, OpportunityFactory, pass_atb, pass_ati

pytestmark = pytest.mark.django_db


def run_check():
    call_command("check", stdout=io.StringIO(), stderr=io.StringIO())


def check_failure() -> str:
    with pytest.raises(SystemCheckError) as failed:
        run_check()
    return str(failed.value)


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def project_in_plan(cast):
    """A pre-sales project after ATB: in plan, the source state of DR1's step (plan → build)."""
    project = Project.objects.get(opportunity=pass_atb(pass_ati(OpportunityFactory(owner=cast.owner), cast), cast))
    assert project.state == "plan"
    return project


def test_check_passes_on_the_seeded_database():
    assert set(GateDefinition.objects.values_list("code", flat=True)) >= {
        "ATI",
        "DTRB",
        "DRA",
        "ATB",
        "DTRC",
        "DRB",
        "ATC",
        "DR1",
        "DR2",
        "DR3",
        "DR4",
    }
    run_check()


def test_a_used_gate_without_definition_fails_the_check():
    assert not GateReview.objects.filter(gate__code="DR3").exists()
    GateDefinition.objects.filter(code="DR3").delete()
    message = check_failure()
    assert "controls.E001" in message and "DR3" in message


def test_a_step_the_subject_does_not_have_fails_the_check():
    assert GateDefinition.objects.filter(code="DTRB").update(transition="no_such_step") == 1
    message = check_failure()
    assert "controls.E002" in message and "DTRB" in message


def admin_form(definition: GateDefinition, **changes) -> dict:
    """Every field of the admin change form as the browser sends it (a checkbox left unticked is absent)."""
    data = {
        "code": definition.code,
        "name": definition.name,
        "name_zh": definition.name_zh,
        "subject_type": definition.subject_type,
        "required_roles": json.dumps(definition.required_roles),
        "checklist": json.dumps(definition.checklist),
        "transition": definition.transition,
        "order": str(definition.order),
        "active": "on",
        "_save": "Save",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_refuses_to_deactivate_dr1_while_a_project_waits_in_plan(client, make_user, project_in_plan):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    dr1 = GateDefinition.objects.get(code="DR1")
    url = reverse("admin:controls_gatedefinition_change", args=[dr1.pk])
    # the same form, left active, saves: the form data is complete
    r = client.post(url, admin_form(dr1))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    r = client.post(url, admin_form(dr1, active=None), follow=True)
    assert r.status_code == 200
    assert GateDefinition.objects.get(code="DR1").active is True
    form_errors = r.context["adminform"].form.errors if "adminform" in r.context else {}
    error_messages = (
        [m for m in r.context["messages"] if m.level >= message_levels.ERROR] if "messages" in r.context else []
    )
    assert form_errors or error_messages, r.content.decode()[:2000]
    if form_errors:
        assert "errornote" in r.content.decode()


def test_full_clean_refuses_deactivating_dr1_while_a_project_waits_in_plan(project_in_plan):
    dr1 = GateDefinition.objects.get(code="DR1")
    dr1.active = False
    with pytest.raises(ValidationError) as refused:
        dr1.full_clean()
    assert "active" in refused.value.message_dict
    assert GateDefinition.objects.get(code="DR1").active is True


def test_deactivating_dr1_is_allowed_when_no_project_waits_at_it():
    assert not Project.objects.filter(state="plan").exists()
    dr1 = GateDefinition.objects.get(code="DR1")
    dr1.active = False
    dr1.full_clean()  # no error
    dr1.save()
    assert GateDefinition.objects.get(code="DR1").active is False
    run_check()  # nobody waits at it: nothing to report


def test_an_inactive_used_gate_with_subjects_waiting_fails_the_check(project_in_plan):
    run_check()
    GateDefinition.objects.filter(code="DR1").update(active=False)  # bypasses clean()
    message = check_failure()
    assert "controls.E003" in message and "DR1" in message
