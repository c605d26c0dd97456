"""``manage.py score_cycle --cycle ID``: score an appraisal cycle here and now (the same job the
``score`` step and beat queue), printing the outcome. The cycle must be open (its window ended) or
calibrating; it is put to scoring as the portal's own step (logged)."""

from django.core.management.base import BaseCommand, CommandError

from ltc_portal.core.fsm import TransitionRefused
from performance.models import AppraisalCycle
from performance.scoring import score_cycle
from performance.services import cycle_score_now


class Command(BaseCommand):
    help = "Score one appraisal cycle now."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", required=True, type=int, help="the cycle's id")

    def handle(self, *args, cycle, **options):
        found = AppraisalCycle.objects.filter(pk=cycle).first()
        if found is None:
            raise CommandError(f"No appraisal cycle {cycle}.")
        try:
            found = cycle_score_now(cycle=found)
        except TransitionRefused as exc:
            raise CommandError(" ".join([exc.detail, *map(str, exc.reasons)])) from exc
        try:
            found = score_cycle(found.pk)
        except Exception as exc:
            raise CommandError(f"Scoring cycle {cycle} failed: {exc}") from exc
        n = found.appraisals.count()
        self.stdout.write(f"Cycle {found.pk} ({found}): {found.get_state_display()}, {n} appraisals.")
