import importlib

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_throttle_counters():
    """The API throttles count in the cache: every test starts with none spent."""
    cache.clear()


@pytest.fixture(autouse=True)
def english_by_default():
    """A request in Chinese leaves the test thread's language active; every test starts in English."""
    translation.activate("en")
    yield
    translation.activate("en")


SEED_MIGRATIONS = [
    ("ltc_portal.core.migrations.0002_roles", "create_roles"),
    ("ltc_portal.controls.migrations.0002_seed_sales_and_presales_gates", "seed"),
    ("ltc_portal.controls.migrations.0003_seed_delivery_reviews", "seed"),
    ("finance.migrations.0008_dr4_final_accounts_checks", "add"),
    ("performance.migrations.0002_seed_kpis", "seed"),
]


@pytest.fixture(autouse=True)
def data_migration_rows(request):
    """Transactional tests (live server, threads, the Celery worker) flush every table afterwards,
    data-migration rows included: put the roles and the gate definitions back before each of them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "live_server",
        "transactional_db",
    } & set(request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        for module, func in SEED_MIGRATIONS:
            getattr(importlib.import_module(module), func)(django_apps, None)


@pytest.fixture
def make_user(db):
    def make(username=None, roles=(), **kwargs):
        if username:
            kwargs["username"] = username
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def sales(make_user):
    return make_user("alice", roles=["sales"])


@pytest.fixture
def other_sales(make_user):
    return make_user("bob", roles=["sales"])


@pytest.fixture
def director(make_user):
    return make_user("dora", roles=["sales_director"])


@pytest.fixture
def executive(make_user):
    return make_user("eve", roles=["executive"])


@pytest.fixture
def finance(make_user):
    return make_user("fay", roles=["finance"])


@pytest.fixture
def api():
    """An API client; ``api.as_user(u)`` authenticates it."""
    client = APIClient()

    def as_user(user):
        client.force_authenticate(user=user)
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def web(client):
    """The Django test client; ``web.as_user(u)`` logs in."""

    def as_user(user):
        client.force_login(user)
        return client

    client.as_user = as_user
    return client


__all__ = ["PASSWORD"]
