"""``manage.py run_monthly_accounting --period YYYY-MM``: the monthly accounting of one period, run
here and now (the same run a beat or an API request queues), printing what it wrote."""

import re

from django.core.management.base import BaseCommand, CommandError

from finance.accounting import execute_run
from finance.services.runs import accounting_run_record
from ltc_portal.core.fsm import TransitionRefused


class Command(BaseCommand):
    help = "Run the monthly accounting of one period (YYYY-MM) now."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")

    def handle(self, *args, period, **options):
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
            raise CommandError("--period must be YYYY-MM, e.g. 2026-11.")
        try:
            run = accounting_run_record(period=period, user=None)
        except TransitionRefused as exc:
            raise CommandError(" ".join([exc.detail, *map(str, exc.reasons)])) from exc
        try:
            run = execute_run(run.pk)
        except Exception as exc:
            raise CommandError(f"Run #{run.pk} failed: {exc}") from exc
        self.stdout.write(f"Period {period}: run #{run.pk} {run.state}, {run.projects} project accounts written.")
