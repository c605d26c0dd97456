"""A bounded schemathesis run over the whole schema (issue 11 §6): a few generated requests per
operation (derandomized: the same requests on every run), as a director with a token, failing on any
5xx, a status the operation does not declare, a body off its declared schema or an undeclared
content type."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.core.failures import FailureGroup

from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati


@pytest.fixture
def api_schema(transactional_db, make_user, settings, monkeypatch):
    # no throttling: past 600 requests a minute every answer would be a (declared) 429, checking nothing
    unthrottled = dict.fromkeys(api_settings.DEFAULT_THROTTLE_RATES, "1000000/minute")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", unthrottled)
    settings.API_DOCS_REQUIRE_LOGIN = False  # the schema is loaded anonymously; its visibility is tested apart
    cast = Cast(make_user, prefix="st")
    pass_ati(OpportunityFactory(owner=cast.owner), cast)
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def token(api_schema, make_user):
    return Token.objects.create(user=make_user("st-director", roles=["sales_director"])).key


EXAMPLES = 5  # per operation: the whole run stays around a minute on this machine
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
#: derandomized (the same examples each run), no shrinking or example database: failures are collected
RUN = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def describe(case, failure) -> str:
    title = getattr(failure, "title", type(failure).__name__)
    return f"{case.method} {case.formatted_path} [{title}]: {getattr(failure, 'message', str(failure))[:700]}"


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_no_operation_answers_a_5xx_or_off_the_schema(api_schema, token):
    failures, operations, statuses = [], 0, []
    headers = {"Authorization": f"Token {token}"}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/auth/token/revoke/"):
            continue  # it would revoke the token the rest of the run signs in with (tested in test_tokens)
        operations += 1

        @RUN
        @given(case=operation.as_strategy())
        def exercise(case):
            try:
                response = case.call(headers=headers)
                statuses.append(response.status_code)
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:  # collect every failure, report them at once
                failures.extend(describe(case, failure) for failure in group.exceptions)
            except Exception as exc:  # noqa: BLE001 - a single failure, or the call itself failed
                failures.append(describe(case, exc))

        exercise()
    assert operations > 50 and statuses.count(200) > 20 and not [s for s in statuses if s >= 500]
    assert 429 not in statuses  # every request was checked, none throttled
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(dict.fromkeys(failures))
