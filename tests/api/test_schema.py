"""A bounded schemathesis run over the whole schema (issue 11 §6): a few generated requests per
operation, as a director with a token, failing on any 5xx or a response off the schema."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from rest_framework.authtoken.models import Token

from tests.opportunities.factories import Cast, OpportunityFactory, pass_ati


@pytest.fixture
def api_schema(transactional_db, make_user, settings):
    settings.API_DOCS_REQUIRE_LOGIN = False  # the schema is loaded anonymously; its visibility is tested apart
    cast = Cast(make_user, prefix="st")
    pass_ati(OpportunityFactory(owner=cast.owner), cast)
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def token(api_schema, make_user):
    return Token.objects.create(user=make_user("st-director", roles=["sales_director"])).key


EXAMPLES = 2  # per operation: the whole run stays well under 3 minutes on this machine


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_no_operation_answers_a_5xx_or_off_the_schema(api_schema, token):
    failures, operations, statuses = [], 0, []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/auth/token/revoke/"):
            continue  # it would revoke the token the rest of the run signs in with (tested in test_tokens)
        operations += 1
        strategy = operation.as_strategy()
        for _ in range(EXAMPLES):
            case = strategy.example()
            try:
                response = case.call(headers={"Authorization": f"Token {token}"})
                statuses.append(response.status_code)
                case.validate_response(
                    response,
                    checks=[schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance],
                )
            except Exception as exc:  # collect every failure, report them at once
                failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:300]}")
    assert operations > 50 and statuses.count(200) > 20 and not [s for s in statuses if s >= 500]
    assert not failures, "\n".join(failures)
