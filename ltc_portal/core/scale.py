"""Scale data: each app contributes seeders in its ``scale.py`` (``@seeder(order=…)``);
``manage.py seed_scale --size {S,M,L}`` runs them in order to grow a database to a dataset of that
size with bulk inserts (for benchmarks and load tests, never for production).

Sizes (L is the reference; M = L/10; S = L/1000, for tests):

==============  =========  =======  =====
rows            L          M        S
==============  =========  =======  =====
people (users)  2,000      200      10
leads           100,000    10,000   100
opportunities   20,000     2,000    20
projects        5,000      500      5
cost entries    1,000,000  100,000  1,000
invoices        50,000     5,000    50
==============  =========  =======  =====

S has 10 people rather than 2, so that every role that owns something has somebody.

The shape of the data is fixed here, as plain values, so that every app builds its rows from the same
plan without importing the others: lead ``l`` is converted when ``l % 5 == 0`` and becomes opportunity
``l // 5``; opportunity ``i`` has a delivery project when ``i % 4 == 0`` (project ``i // 4``); project
``j`` is in ``PROJECT_STATES[j % 20]`` (80 % in build, implement or handover: the ones the monthly
accounting covers) and follows the dates of ``project_plan(j, today)``. Everything else is drawn from
``unit(…)``, a deterministic hash, so two runs build the same rows.

Idempotent: every scale row carries the ``scale-`` prefix on a name or reference (users, customers,
leads, opportunities, contracts, projects, cost entries, receipts), or belongs to such a row; each
seeder counts what an earlier run made and adds only what is missing, so a second run adds nothing and a
run with a larger size grows the data. Rows are inserted in bulk: no transition-log rows, no gate
reviews and no domain events are written for them (the states are set directly, as they would be
after the logged steps), and no e-mail is sent.
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from .money import quantize

PREFIX = "scale-"
SCALE_PASSWORD = None  # scale people cannot log in (unusable password)

L_COUNTS = {
    "people": 2_000,
    "leads": 100_000,
    "opportunities": 20_000,
    "projects": 5_000,
    "cost_entries": 1_000_000,
    "invoices": 50_000,
}
SIZES = {
    "L": dict(L_COUNTS),
    "M": {name: n // 10 for name, n in L_COUNTS.items()},
    "S": {**{name: n // 1000 for name, n in L_COUNTS.items()}, "people": 10},
}

#: roles of the people, by index modulo 50 (None: an engineer with no portal role). The first ten
#: cover every role that owns something, so S works.
PEOPLE_ROLES = (
    ["sales", "delivery", "finance", "solution", "pmo", "sales_director", "delivery", "sales", None, "hr"]
    + ["executive"]
    + ["sales"] * 8
    + ["delivery"] * 14
    + ["solution"] * 4
    + ["pmo"] * 2
    + ["finance"] * 3
    + [None] * 8
)
assert len(PEOPLE_ROLES) == 50

#: the state of project ``j`` is PROJECT_STATES[j % 20]: 8 implement, 4 build, 4 handover (80 %
#: accounted), 1 closed, 1 analyze, 1 plan, 1 cancelled. The first five (size S) are four accounted
#: projects and a closed one.
PROJECT_STATES = (
    "implement",
    "build",
    "handover",
    "implement",
    "closed",
    "implement",
    "build",
    "implement",
    "analyze",
    "handover",
    "implement",
    "build",
    "implement",
    "plan",
    "handover",
    "implement",
    "cancelled",
    "build",
    "implement",
    "handover",
)
ACCOUNTED = ("build", "implement", "handover")
#: projects past DR1: they have a signed contract, a budget, milestones and costs
STARTED = (*ACCOUNTED, "closed")

#: the baseline plan of a started project: name, share of the duration at its end, weight
MILESTONES = (
    ("方案设计 / Solution design", 0.15, 1),
    ("安装部署 / Installation", 0.5, 3),
    ("集成测试 / Integration test", 0.8, 2),
    ("终验 / Final acceptance", 1.0, 2),
)


def unit(*parts) -> float:
    """A deterministic number in [0, 1) for ``parts`` (the same on every run and machine)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def between(low: int, high: int, *parts) -> int:
    """A deterministic integer in [low, high]."""
    return low + int(unit(*parts) * (high - low + 1))


def split(total: Decimal, shares) -> list[Decimal]:
    """``total`` in parts proportional to ``shares`` (percentages), to the cent; the last part takes
    what rounding leaves, so the parts add up exactly."""
    parts = [quantize(total * Decimal(share) / 100) for share in shares[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def name(index: int, text: str, width: int = 6) -> str:
    """A scale row's name: the prefix, its index, then a readable text."""
    return f"{PREFIX}{index:0{width}d} {text}"


def index_of(value: str) -> int:
    """The index in a name made by ``name``."""
    return int(value[len(PREFIX) :].split(" ", 1)[0])


def project_state(j: int) -> str:
    return PROJECT_STATES[j % len(PROJECT_STATES)]


def opportunity_has_project(i: int) -> bool:
    return i % 4 == 0


def opportunity_state(i: int) -> str:
    """An opportunity's state follows its project's (ATI opened it; ATB moved it to plan; the signed
    contract won it); one without a project never passed ATI."""
    if not opportunity_has_project(i):
        return "validating" if unit(i, "opp-open") < 0.4 else "abandoned"
    state = project_state(i // 4)
    if state == "analyze":
        return "analysis"
    if state == "plan":
        return "contracting" if unit(i, "opp-plan") < 0.4 else "bidding"
    if state == "cancelled":
        return "lost"
    return "won"


@dataclass(frozen=True)
class MilestonePlan:
    position: int
    name: str
    start: datetime.date
    end: datetime.date
    weight: int
    accepted_on: datetime.date | None


@dataclass(frozen=True)
class ProjectPlan:
    """The dates of project ``index``: opened at ATI; for a started project, contract signed and
    handed over, DR1 (``start``), the baseline milestones (accepted ones with their date), the final
    acceptance (``finish``, planned or done) and DR4 (``closed``)."""

    index: int
    state: str
    opened: datetime.date
    signed: datetime.date | None = None
    handed_over: datetime.date | None = None
    start: datetime.date | None = None
    finish: datetime.date | None = None
    closed: datetime.date | None = None
    milestones: tuple[MilestonePlan, ...] = field(default=())

    @property
    def started(self) -> bool:
        return self.state in STARTED


def project_plan(j: int, today: datetime.date) -> ProjectPlan:
    state = project_state(j)
    day = datetime.timedelta(days=1)
    if state in ("analyze", "plan"):
        return ProjectPlan(j, state, opened=today - between(10, 60, j, "opened") * day)
    if state == "cancelled":
        return ProjectPlan(j, state, opened=today - between(60, 200, j, "opened") * day)
    age = {"build": (15, 90), "implement": (90, 300), "handover": (240, 360), "closed": (300, 400)}[state]
    start = today - between(*age, j, "age") * day
    signed = start - between(14, 35, j, "signed") * day
    handed_over = signed + between(3, 10, j, "handed") * day
    opened = signed - between(60, 150, j, "ati") * day
    closed = None
    if state == "closed":
        closed = today - between(15, 60, j, "dr4") * day
        finish = closed - between(20, 45, j, "finish") * day
    elif state == "handover":
        finish = today - between(5, 40, j, "finish") * day
    else:
        finish = start + between(300, 420, j, "duration") * day
    duration = (finish - start).days
    milestones, previous = [], start
    for m, (title, share, weight) in enumerate(MILESTONES):
        end = finish if m == len(MILESTONES) - 1 else start + round(duration * share) * day
        end = max(end, previous)
        accepted = None
        if state in ("handover", "closed"):
            accepted = min(end + between(0, 10, j, m, "lag") * day, finish)
        elif m < len(MILESTONES) - 1 and (state == "implement" or m == 0):
            on = end + between(-3, 20, j, m, "lag") * day
            accepted = on if on < today else None
        milestones.append(MilestonePlan(m, title, previous, end, weight, accepted))
        previous = end
    return ProjectPlan(j, state, opened, signed, handed_over, start, finish, closed, tuple(milestones))


def invoice_plan(plans: list[ProjectPlan], total: int, today: datetime.date) -> dict[int, int]:
    """How many invoices the contracts of the started ``plans`` get (their due payment milestones, each
    invoiced once): ``total`` in all, at least 1 for a live project and 3 for one at handover or closed
    (advance, an instalment, the final acceptance), the rest in proportion to the months since signing
    (largest remainder)."""
    started = [p for p in plans if p.started]
    minimum = {p.index: 3 if p.state in ("handover", "closed") else 1 for p in started}
    weights = {p.index: max(1.0, ((p.closed or today) - p.signed).days / 30) for p in started}
    left = max(0, total - sum(minimum.values()))
    whole = sum(weights.values()) or 1.0
    shares = {j: left * w / whole for j, w in weights.items()}
    plan = {j: minimum[j] + int(s) for j, s in shares.items()}
    rest = total - sum(plan.values())
    for j in sorted(shares, key=lambda j: (-(shares[j] - int(shares[j])), j))[: max(0, rest)]:
        plan[j] += 1
    return plan


# The registry ------------------------------------------------------------------------------------

_SEEDERS: list[tuple[int, str, Callable]] = []


def seeder(order: int):
    def register(func):
        _SEEDERS.append((order, f"{func.__module__}.{func.__name__}", func))
        return func

    return register


def seeders():
    return sorted(_SEEDERS, key=lambda s: (s[0], s[1]))


@dataclass
class Scale:
    """What a seeder gets: the size, its target counts, today, the scale people by role and a log."""

    size: str
    counts: dict
    today: datetime.date
    people: dict[str | None, list[int]] = field(default_factory=dict)
    log: Callable[[str], None] = print
    batch_size: int = 5000

    def person(self, role: str | None, *parts) -> int:
        """A deterministic person of ``role`` (falls back to any scale person)."""
        ids = self.people.get(role) or [pk for group in self.people.values() for pk in group]
        return ids[int(unit(role, *parts) * len(ids))]


FIRST_NAMES = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "Anna", "Tom", "Priya", "Lukas", "Mei"]
LAST_NAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "Smith", "Müller", "Rao", "Berg", "Tan"]


def ensure_people(scale: Scale) -> int:
    """``counts["people"]`` users named ``scale-NNNNN`` (unusable password), each in the group of its
    role (PEOPLE_ROLES); sets ``scale.people`` (their ids by role) and returns how many it added."""
    User = get_user_model()
    existing = {
        index_of(u): pk for pk, u in User.objects.filter(username__startswith=PREFIX).values_list("pk", "username")
    }
    missing = [k for k in range(scale.counts["people"]) if k not in existing]
    if missing:
        password = make_password(SCALE_PASSWORD)
        made = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}{k:05d}",
                    first_name=FIRST_NAMES[k % len(FIRST_NAMES)],
                    last_name=LAST_NAMES[(k // len(FIRST_NAMES)) % len(LAST_NAMES)],
                    email=f"{PREFIX}{k:05d}@scale.example.com",
                    password=password,
                    is_staff=PEOPLE_ROLES[k % 50] in ("finance", "pmo", "sales_director", "executive"),
                )
                for k in missing
            ],
            batch_size=scale.batch_size,
        )
        groups = dict(Group.objects.values_list("name", "pk"))
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [
                Membership(user_id=u.pk, group_id=groups[PEOPLE_ROLES[k % 50]])
                for k, u in zip(missing, made, strict=True)
                if PEOPLE_ROLES[k % 50] in groups
            ],
            batch_size=scale.batch_size,
            ignore_conflicts=True,
        )
        existing.update({k: u.pk for k, u in zip(missing, made, strict=True)})
    scale.people = {}
    for k in sorted(existing):
        scale.people.setdefault(PEOPLE_ROLES[k % 50], []).append(existing[k])
    return len(missing)
