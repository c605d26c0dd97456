"""A real Celery worker on the Redis broker for integration tests (one per job)."""

import contextlib
import os
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connections

from ltc_portal.celery import app

DEFAULT_TEST_BROKER = "redis://127.0.0.1:6379/15"
#: a broker that is down: a port where nothing listens
CLOSED_BROKER = "redis://127.0.0.1:1/0"


def broker_url() -> str:
    """The broker for worker tests: CELERY_BROKER_URL, else local Redis db 15. Skipped locally when
    Redis is absent; in CI (CI=true) a missing broker fails the test instead."""
    url = os.environ.get("CELERY_BROKER_URL") or DEFAULT_TEST_BROKER
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis broker {url} is not answering: {exc}")
        pytest.skip(f"Redis broker {url} is not answering")
    return url


def key_prefix() -> str:
    """The Redis key prefix of this test process: each xdist worker (PYTEST_XDIST_WORKER) has its own
    queue, so a worker thread never takes a message sent by the other process for its database."""
    return f"ltc-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}:"


def transport_options() -> dict:
    return {**(app.conf.broker_transport_options or {}), "global_keyprefix": key_prefix()}


@contextlib.contextmanager
def real_worker():
    """Run a worker thread on the real broker (this process's own queue, see ``key_prefix``, emptied
    first); tasks sent meanwhile go through Redis, not eagerly. The queue name is left alone: Celery
    caches its queue and routing tables, so changing it mid-process is not reliable; the key prefix
    is read when a connection is made."""
    url = broker_url()
    keys = ("broker_url", "task_always_eager", "result_backend", "broker_transport_options")
    saved = {k: app.conf.get(k) for k in keys}
    app.conf.update(
        broker_url=url, task_always_eager=False, result_backend=url, broker_transport_options=transport_options()
    )
    reset_connections()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue or "celery")
    # The worker thread's database connection must close after each task (Celery's Django fixup
    # does so when it is past its age), or the test database cannot be dropped at the end.
    db_settings = connections.settings["default"]
    saved_max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
            yield
    finally:
        db_settings["CONN_MAX_AGE"] = saved_max_age
        app.conf.update(saved)
        reset_connections()
        connections.close_all()


@contextlib.contextmanager
def broker_down():
    """Point the app at a closed port (nothing listens on 127.0.0.1:1), not eagerly: what a request
    does while the broker is down."""
    keys = ("broker_url", "task_always_eager", "result_backend")
    saved = {k: app.conf.get(k) for k in keys}
    saved_env = os.environ.pop("CELERY_BROKER_URL", None)  # Celery reads it before its settings
    app.conf.update(broker_url=CLOSED_BROKER, task_always_eager=False, result_backend=None)
    reset_connections()
    try:
        yield
    finally:
        if saved_env is not None:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(saved)
        reset_connections()


def reset_connections():
    """Drop the app's cached broker pools so the next message goes to the broker configured now."""
    app.close()
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
