"""The zh_Hans catalogue is complete and compiled: every string the code marks for translation has
a Chinese translation, none is fuzzy, and the committed .mo matches the .po."""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path("locale/zh_Hans/LC_MESSAGES")

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed (make system-deps)")


def tracked_sources() -> list[str]:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [f for f in files if not f.startswith(("tests/", ".ci/")) and (ROOT / f).is_file()]


def test_catalogue_covers_every_marked_string(tmp_path):
    for f in tracked_sources():
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, tmp_path / f)
    (tmp_path / "node_modules").mkdir(exist_ok=True)
    env = {"DEBUG": "true", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--ignore=node_modules",
            "--ignore=.venv",
            "--no-obsolete",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    stats = subprocess.run(
        [
            "msgfmt",
            "--check",
            "--statistics",
            "-o",
            str(tmp_path / "fresh.mo"),
            str(tmp_path / CATALOGUE / "django.po"),
        ],
        capture_output=True,
        text=True,
    )
    assert stats.returncode == 0, stats.stderr
    assert "untranslated" not in stats.stderr and "fuzzy" not in stats.stderr, (
        f"zh_Hans catalogue incomplete ({stats.stderr.strip()}): run `make messages` and translate"
    )
    with open(tmp_path / "fresh.mo", "rb") as fresh, open(ROOT / CATALOGUE / "django.mo", "rb") as committed:
        assert gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(committed)._catalog, (
            "django.mo is stale: run `make messages`"
        )


def test_chinese_is_served(client, db):
    with translation.override("zh-hans"):
        assert translation.gettext("Leads") != "Leads"
    r = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "登录" in r.content.decode()


def test_an_open_state_is_not_said_as_the_link_that_opens_a_record():
    """'Open' is both a state (a period not yet closed, a cycle under way, an appeal waiting) and the
    link that opens a record (查看); the states are translated in their own context."""
    from finance.models import PeriodState
    from performance.models import AppealState, CycleState

    with translation.override("zh-hans"):
        link = translation.gettext("Open")
        states = {str(PeriodState.OPEN.label), str(CycleState.OPEN.label), str(AppealState.OPEN.label)}
    assert link == "查看" and link not in states and not any(s == "Open" for s in states)


def test_one_english_word_for_two_things_gets_two_chinese_words():
    """An invoice is issued (开具), a project has issues (问题); a receipt is allocated to invoices (核销),
    a bonus pool is allocated to people (分配); a review waits for a decision, an appraisal for scoring
    and a webhook for sending."""
    from finance.models import Invoice
    from integrations.models import DeliveryState
    from ltc_portal.controls.models import ReviewState
    from ltc_portal.core.fsm import transition_labels
    from performance.models import AppraisalState, BonusPool

    with translation.override("zh-hans"):
        assert translation.gettext("Issue") == "问题" and transition_labels(Invoice)["issue"] == "开具"
        assert translation.gettext("Allocate") == "核销" and transition_labels(BonusPool)["allocate"] == "分配"
        pending = {str(ReviewState.PENDING.label), str(AppraisalState.PENDING.label), str(DeliveryState.PENDING.label)}
    assert len(pending) == 3
