"""Outbound webhooks (issue 11 §4): a real receiver on a local port checks the signature, a 500 is
retried with backoff, every attempt is logged, private addresses are refused unless allowed."""

import datetime
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from integrations.models import WebhookDelivery
from ltc_portal.core import outbox
from tests.celery_utils import real_worker, wait_for
from tests.finance.test_accounting import day, project_in_build
from tests.finance.test_invoices import advance
from tests.opportunities.factories import Cast

SECRET = "a-long-enough-shared-secret"
HOOKS, DELIVERIES = "/api/v1/webhooks/", "/api/v1/webhook-deliveries/"


class Receiver:
    """An integrator's endpoint in a thread: answers the queued status codes (then 200) and keeps
    what it was sent."""

    def __init__(self):
        self.requests, self.answers = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def signature_ok(self, headers, body) -> bool:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(headers.get("X-LTC-Signature", ""), expected)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def local_hooks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_BACKOFF_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3


def subscribe(api, user, url, events=("invoice.issued",)):
    r = api.as_user(user).post(HOOKS, {"url": url, "events": list(events), "secret": SECRET}, format="json")
    assert r.status_code == 201, r.json()
    assert "secret" not in r.json()
    return r.json()


def issue_invoice(api, cast, project, capture):
    r = api.as_user(cast.finance).post(
        "/api/v1/invoices/", {"payment_milestone": advance(project).pk, "tax_rate_percent": "6"}, format="json"
    )
    assert r.status_code == 201, r.json()
    with capture(execute=True):
        r = api.as_user(cast.finance).post(
            f"/api/v1/invoices/{r.json()['id']}/transitions/issue/", {"issue_date": day(3).isoformat()}, format="json"
        )
    assert r.status_code == 200, r.json()
    return r.json()


@pytest.mark.django_db
def test_a_500_is_retried_and_the_signed_body_arrives(
    api, cast, receiver, local_hooks, django_capture_on_commit_callbacks
):
    project = project_in_build(cast)
    hook = subscribe(api, cast.finance, receiver.url)
    receiver.answers = [500]
    invoice = issue_invoice(api, cast, project, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 2  # the 500, then the retry
    (h1, b1), (h2, b2) = receiver.requests
    assert b1 == b2 and receiver.signature_ok(h1, b1) and receiver.signature_ok(h2, b2)
    assert h1["X-LTC-Event"] == "invoice.issued" and h1["Content-Type"] == "application/json"
    body = json.loads(b1)
    assert body["event"] == "invoice.issued"
    assert body["data"]["invoice"] == invoice["id"] and body["data"]["number"] == invoice["number"]

    log = api.as_user(cast.finance).get(DELIVERIES).json()["results"]
    assert len(log) == 1
    delivery = log[0]
    assert (delivery["webhook"], delivery["event"], delivery["state"]) == (hook["id"], "invoice.issued", "delivered")
    assert (delivery["status_code"], delivery["attempts"]) == (200, 2) and delivery["delivered_at"]
    assert [(a["number"], a["status_code"]) for a in delivery["attempt_log"]] == [(1, 500), (2, 200)]
    assert "500" in delivery["attempt_log"][0]["error"]
    assert api.as_user(cast.pm).get(DELIVERIES).json()["results"] == []  # the log is finance's


@pytest.mark.django_db
def test_backoff_doubles_and_the_delivery_fails_after_the_last_attempt(
    api, cast, receiver, settings, local_hooks, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_BACKOFF_SECONDS = 60
    project = project_in_build(cast)
    subscribe(api, cast.finance, receiver.url)
    receiver.answers = [500, 503, 500]
    issue_invoice(api, cast, project, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    first_wait = delivery.next_attempt_at - delivery.attempt_log.get(number=1).at
    assert datetime.timedelta(seconds=59) < first_wait < datetime.timedelta(seconds=62)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch()  # not before its time
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and len(receiver.requests) == 1
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch(now=timezone.now() + datetime.timedelta(seconds=61))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    second_wait = delivery.next_attempt_at - delivery.attempt_log.get(number=2).at
    assert datetime.timedelta(seconds=119) < second_wait < datetime.timedelta(seconds=122)  # doubled
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch(now=timezone.now() + datetime.timedelta(seconds=200))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.status_code) == ("failed", 3, 500)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 500]
    assert len(receiver.requests) == 3


@pytest.mark.django_db
def test_private_addresses_are_refused_unless_allowed(
    api, cast, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client = api.as_user(cast.finance)
    for url in (receiver.url, "http://10.0.0.7/hook", "http://[::1]:8080/x", "http://169.254.169.254/latest/"):
        r = client.post(HOOKS, {"url": url, "events": ["invoice.issued"], "secret": SECRET}, format="json")
        assert r.status_code == 400 and "url" in r.json(), (url, r.json())
    r = client.post(HOOKS, {"url": "ftp://example.com/", "events": ["invoice.issued"], "secret": SECRET}, format="json")
    assert r.status_code == 400
    # allowed when subscribed, refused at delivery once the setting is off again: logged, nothing sent
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(api, cast.finance, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    issue_invoice(api, cast, project_in_build(cast), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.status_code) == ("failed", None)
    assert "private or local" in delivery.attempt_log.get().error
    assert receiver.requests == []


@pytest.mark.django_db
def test_who_manages_webhooks_and_what_is_refused(api, cast, make_user, local_hooks, receiver):
    sales = make_user("hook-sales", roles=["sales"])
    body = {"url": receiver.url, "events": ["invoice.issued"], "secret": SECRET}
    assert api.as_user(sales).post(HOOKS, body, format="json").status_code == 403
    hook = subscribe(api, cast.finance, receiver.url, events=["gate.decided", "project.closed"])
    assert api.as_user(sales).get(HOOKS).json()["results"] == []
    assert api.as_user(sales).get(f"{HOOKS}{hook['id']}/").status_code == 404
    client = api.as_user(cast.finance)
    r = client.post(HOOKS, {**body, "events": ["invoice.paid"]}, format="json")
    assert r.status_code == 400 and "events" in r.json()
    r = client.post(HOOKS, {**body, "events": []}, format="json")
    assert r.status_code == 400 and "events" in r.json()
    r = client.post(HOOKS, {**body, "secret": "short"}, format="json")
    assert r.status_code == 400 and "secret" in r.json()
    r = client.patch(f"{HOOKS}{hook['id']}/", {"active": False}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.delete(f"{HOOKS}{hook['id']}/").status_code == 204


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_and_retries_after_the_backoff(cast, receiver, settings):
    """Through Redis and a real worker: the first POST gets a 500, the retry (queued with its ETA)
    gets a 200, and the log holds both attempts."""
    from integrations import services

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_BACKOFF_SECONDS = 0.5
    services.webhook_create(
        user=cast.finance, data={"url": receiver.url, "events": ["receipt.recorded"], "secret": SECRET}
    )
    receiver.answers = [500]
    with real_worker():
        services.event_raise(event="receipt.recorded", data={"receipt": 1})
        assert wait_for(lambda: WebhookDelivery.objects.get().state == "delivered", timeout=60)
    delivery = WebhookDelivery.objects.get()
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
    assert len(receiver.requests) == 2 and all(receiver.signature_ok(h, b) for h, b in receiver.requests)
    gap = delivery.attempt_log.get(number=2).at - delivery.attempt_log.get(number=1).at
    assert gap >= datetime.timedelta(seconds=0.5)


@pytest.mark.django_db
def test_each_step_raises_its_event_for_the_webhooks_subscribed_to_it(
    api, cast, receiver, local_hooks, django_capture_on_commit_callbacks
):
    all_four = ["gate.decided", "contract.signed", "invoice.issued", "receipt.recorded"]
    everything = subscribe(api, cast.finance, receiver.url, events=all_four)
    only_receipts = subscribe(api, cast.finance, receiver.url, events=["receipt.recorded"])
    project = project_in_build(cast)  # ATI, ATB, ATC, DR1 decided; the contract signed
    invoice = issue_invoice(api, cast, project, django_capture_on_commit_callbacks)
    r = api.as_user(cast.finance).post(
        "/api/v1/receipts/",
        {
            "customer": project.opportunity.customer_id,
            "amount": "1000.00",
            "currency": "CNY",
            "date": day(6).isoformat(),
            "payer": "Payer",
            "reference": "BANK-9",
            "allocations": [{"invoice": invoice["id"], "amount": "1000.00"}],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    events = list(WebhookDelivery.objects.filter(webhook_id=everything["id"]).values_list("event", flat=True))
    assert {"gate.decided", "contract.signed", "invoice.issued", "receipt.recorded"} == set(events)
    gates = [d.payload["data"]["gate"] for d in WebhookDelivery.objects.filter(event="gate.decided")]
    assert {"ATI", "ATB", "ATC"} <= set(gates)
    assert list(WebhookDelivery.objects.filter(webhook_id=only_receipts["id"]).values_list("event", flat=True)) == [
        "receipt.recorded"
    ]
    receipt = WebhookDelivery.objects.get(webhook_id=only_receipts["id"]).payload["data"]
    assert (receipt["receipt"], receipt["amount"], receipt["currency"]) == (r.json()["id"], "1000.00", "CNY")
