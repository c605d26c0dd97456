"""What a gate strip shows and to whom: each failed check once, the blockers only to who requests the
gate, the project's next review on the opportunity page with the rest folded, every checklist line
and portal-written reason in the reader's language (stored checklists too), and DR3 when a project
has no milestones."""

import re

import pytest
from django.utils import translation

from delivery import services as delivery_services
from ltc_portal.controls import registry
from ltc_portal.controls import services as gates
from ltc_portal.controls.selectors import gates_for
from ltc_portal.core.fsm import Check, check
from opportunities import services
from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati, quote_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(make_user, sales):
    return Cast(make_user, owner=sales)


def _gate(page: str, code: str) -> str:
    end = r'(?=<div class="list-group-item" data-gate=|</details>|$)'
    m = re.search(rf'<div class="list-group-item" data-gate="{code}".*?{end}', page, re.S)
    assert m, f"{code} is not on the page"
    return m.group(0)


def test_a_failed_check_is_listed_once_and_blockers_only_for_the_requester(web, cast):
    opp = OpportunityFactory(owner=cast.owner, expected_close_date=None)
    url = f"/opportunities/{opp.pk}/"
    owner_view = _gate(web.as_user(cast.owner).get(url).content.decode(), "ATI")
    assert owner_view.count("Record the timeline (expected close date).") == 1
    assert 'class="text-danger"' in owner_view and "gate-request-form" not in owner_view

    # the director cannot request ATI: no "before it can be requested" list, no request form, no red blockers
    director_view = _gate(web.as_user(cast.director).get(url).content.decode(), "ATI")
    assert "gate-blockers" not in director_view and "gate-request-form" not in director_view
    assert "Only the opportunity's owner may request" not in director_view

    # a blocker that is not a checklist line (a pending review) is shown to the requester, once
    opp.expected_close_date = "2027-03-31"
    opp.save()
    statuses = {g.gate.code: g for g in gates_for(opp, cast.owner)}
    assert statuses["ATI"].can_request and statuses["ATI"].other_blockers == []
    director_status = {g.gate.code: g for g in gates_for(opp, cast.director)}["ATI"]
    assert not director_status.may_request and not director_status.can_request
    assert director_status.other_blockers == ["Only the opportunity's owner may request ATI."]


def test_the_opportunity_page_shows_the_projects_next_review_and_folds_the_rest(web, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)
    page = web.as_user(cast.owner).get(f"/opportunities/{opp.pk}/").content.decode()
    strip = page[page.index('id="gate-strip-project"') :]
    shown, folded = strip.split('<details class="list-group-item gate-later">', 1)
    assert 'data-gate="DTRB"' in shown  # the first review not yet approved
    for code in ("DRA", "DTRC", "DRB", "DR1", "DR3", "DR4"):
        assert f'data-gate="{code}"' not in shown and f'data-gate="{code}"' in folded
    assert "6 other reviews" in folded

    # once DRA is pending, the pending reviews are what comes next
    services.quote_create(opportunity=opp, user=cast.owner, data=quote_data())
    delivery_services.project_update(
        project=opp.project,
        user=cast.pm,
        data={"technical_solution": "Spine-leaf", "delivery_approach": "Phased", "key_risks": "Downtime"},
    )
    gates.gate_request(code="DRA", subject=opp.project, user=cast.pm)
    page = web.as_user(cast.owner).get(f"/opportunities/{opp.pk}/").content.decode()
    shown = page[page.index('id="gate-strip-project"') :].split("gate-later", 1)[0]
    assert 'data-gate="DRA"' in shown and 'data-gate="DTRB"' not in shown


def test_passed_lines_and_stored_checklists_are_in_the_readers_language(web, cast):
    opp = pass_ati(OpportunityFactory(owner=cast.owner), cast)  # ATI approved in English
    client = web.as_user(cast.owner)
    page = client.get(f"/opportunities/{opp.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    ati = _gate(page, "ATI")
    with translation.override("zh-hans"):
        customer_recorded = str(registry.passed_sentence("opportunity.customer_recorded"))
    assert customer_recorded != "Customer recorded." and customer_recorded in ati
    assert "Customer recorded." not in ati and "Timeline recorded." not in ati

    # the portal's own reasons in the history are said again in the reader's language
    assert "ATI approved" not in page
    with translation.override("zh-hans"):
        assert str(translation.gettext("%(code)s approved") % {"code": "ATI"}) in page
    body = client.get(f"/api/v1/opportunities/{opp.pk}/history/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    reasons = [row["reason"] for row in body if row["transition"] == "ati"]
    assert reasons and "ATI approved" not in reasons[0]
    body = client.get(f"/api/v1/opportunities/{opp.pk}/history/").json()
    assert [row["reason"] for row in body if row["transition"] == "ati"] == ["ATI approved"]


def test_every_registered_check_has_a_translated_passed_sentence():
    keys = registry.check_keys()
    with translation.override("en"):
        english = {key: registry.passed_sentence(key) for key in keys}
    with translation.override("zh-hans"):
        untranslated = [key for key in keys if registry.passed_sentence(key) == english[key]]
    assert keys and not untranslated

    @check("Missing.")
    def no_passed_sentence(subject):
        return True

    with pytest.raises(TypeError, match="passes"):
        registry.register_check("tests.no_passed_sentence", no_passed_sentence)
    assert isinstance(no_passed_sentence, Check) and registry.check("tests.no_passed_sentence") is None


def test_dr3_without_milestones_says_to_record_them(cast):
    project = pass_ati(OpportunityFactory(owner=cast.owner), cast).project
    assert not project.milestones.exists()
    failed = registry.check("project.milestones_done").failures(project)
    assert failed == ["Record the project's milestones first."]
