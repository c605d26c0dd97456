"""The leads list's owner filter offers the people who own leads, not every user (at L the page drew
2,000 options); a salesperson, who reads only their own leads, is offered only themselves."""

import pytest

pytestmark = pytest.mark.django_db


def owner_options(page):
    html = page.content.decode()
    start = html.index('name="owner"')
    return html[start : html.index("</select>", start)]


def test_a_director_is_offered_the_sales_people_only(web, director, sales, make_user):
    make_user("hank", roles=["hr"])
    options = owner_options(web.as_user(director).get("/leads/"))
    assert f'value="{sales.pk}"' in options and "hank" not in options


def test_a_salesperson_is_offered_only_themselves(web, api, sales, other_sales):
    options = owner_options(web.as_user(sales).get("/leads/"))
    assert f'value="{sales.pk}"' in options and f'value="{other_sales.pk}"' not in options
    assert api.as_user(sales).get("/api/v1/leads/", {"owner": other_sales.pk}).status_code == 400
