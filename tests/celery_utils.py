"""A real Celery worker on the Redis broker for integration tests (one per job): a thread in this
process (``real_worker``), or a process of its own that a test may kill (``worker_process``)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.parse

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
def real_broker():
    """Send tasks through Redis (this process's own queue, see ``key_prefix``, emptied first), not
    eagerly, for a worker to take. The queue name is left alone: Celery caches its queue and routing
    tables, so changing it mid-process is not reliable; the key prefix is read when a connection is
    made."""
    url = broker_url()
    keys = ("broker_url", "task_always_eager", "result_backend", "broker_transport_options")
    saved = {k: app.conf.get(k) for k in keys}
    app.conf.update(
        broker_url=url, task_always_eager=False, result_backend=url, broker_transport_options=transport_options()
    )
    reset_connections()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue or "celery")
    try:
        yield url
    finally:
        app.conf.update(saved)
        reset_connections()


@contextlib.contextmanager
def real_worker():
    """Run a worker thread on the real broker (``real_broker``); tasks sent meanwhile go through
    Redis, not eagerly."""
    # The worker thread's database connection must close after each task (Celery's Django fixup
    # does so when it is past its age), or the test database cannot be dropped at the end.
    db_settings = connections.settings["default"]
    saved_max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    try:
        with (
            real_broker(),
            start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30),
        ):
            yield
    finally:
        db_settings["CONN_MAX_AGE"] = saved_max_age
        reset_connections()
        connections.close_all()


#: ``application_name`` of the worker processes' database sessions (to find and end them)
WORKER_APPLICATION_NAME = "ltc-test-worker"
#: what a worker process runs: the portal's app on this test process's queue (its key prefix)
_WORKER_MAIN = """
import os
from ltc_portal.celery import app
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "global_keyprefix": os.environ["LTC_TEST_KEY_PREFIX"],
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--hostname", os.environ["LTC_TEST_WORKER_NAME"]])
"""


def _database_url() -> str:
    """The test database (as this process sees it), for a worker process's DATABASE_URL."""
    db = connections["default"].settings_dict
    auth = urllib.parse.quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    query = urllib.parse.urlencode({"application_name": WORKER_APPLICATION_NAME})
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}?{query}"


class WorkerProcess:
    """A Celery worker in a process of its own (``celery worker --pool=solo``) on the test database and
    this process's queue; ``kill()`` is SIGKILL (nothing runs after it: no ack, no cleanup)."""

    def __init__(self, name: str, log_path, **env):
        self.log_path = log_path
        self.name = f"{name}@{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        environment = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_RESULT_BACKEND": "",
            "CONN_MAX_AGE": "0",
            "LTC_TEST_KEY_PREFIX": key_prefix(),
            "LTC_TEST_WORKER_NAME": self.name,
            **{k: str(v) for k, v in env.items()},
        }
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_MAIN],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=30.0) -> bool:
        return wait_for(lambda: " ready." in self.log() or self.process.poll() is not None, timeout) and (
            self.process.poll() is None
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@contextlib.contextmanager
def worker_processes(log_dir, **env):
    """Start worker processes with ``start(name)`` on the real broker (``real_broker``); each is
    stopped at the end, and the database sessions of killed ones are ended (a session blocked on a
    lock does not notice its client is gone), so the test database can be dropped."""
    workers = []

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(name, log_dir / f"{name}.log", **env)
        workers.append(worker)
        assert worker.wait_ready(), f"worker {name} did not start:\n{worker.log()[-3000:]}"
        return worker

    with real_broker():
        try:
            yield start
        finally:
            for worker in workers:
                worker.stop()
            end_worker_sessions()
            wait_for(lambda: worker_sessions() == 0, timeout=10)  # they end a moment after being told


def worker_sessions() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [WORKER_APPLICATION_NAME],
        )
        return cursor.fetchone()[0]


def end_worker_sessions() -> int:
    """End the test database's sessions of worker processes (those of killed workers linger)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
            [WORKER_APPLICATION_NAME],
        )
        return cursor.fetchone()[0]


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
