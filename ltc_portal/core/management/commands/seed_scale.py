import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from ltc_portal.core.scale import SIZES, Scale, ensure_people, seeders


class Command(BaseCommand):
    help = (
        "Grow the database to a scale dataset with bulk inserts (S: 100 leads … 1,000 cost entries, for tests; "
        "M: a tenth of L; L: 100k leads, 20k opportunities, 5k projects, 1M cost entries, 50k invoices, 2k people). "
        "Idempotent: it counts the scale rows made before and adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="S", help="dataset size (default S)")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per bulk insert (default 5000)")

    def handle(self, *args, **options):
        autodiscover_modules("scale")
        started = time.perf_counter()
        size = options["size"]
        if size not in SIZES:
            raise CommandError(f"Unknown size {size!r}: choose one of {', '.join(sorted(SIZES))}.")
        scale = Scale(
            size=size,
            counts=SIZES[size],
            today=timezone.localdate(),
            log=self.stdout.write,
            batch_size=options["batch_size"],
        )
        self.stdout.write(
            f"Seeding scale data, size {size}: " + ", ".join(f"{n:,} {k}" for k, n in scale.counts.items())
        )
        with transaction.atomic():
            added = {"people": ensure_people(scale)}
        self.stdout.write(f"  people: {added['people']:,} added" if added["people"] else "  people: nothing to add")
        for _order, name, func in seeders():
            start = time.perf_counter()
            with transaction.atomic():
                made = func(scale) or {}
            for what, n in made.items():
                added[what] = added.get(what, 0) + n
            summary = ", ".join(f"{n:,} {what}" for what, n in made.items() if n) or "nothing to add"
            self.stdout.write(f"  {name}: {summary} ({time.perf_counter() - start:.1f} s)")
        if any(added.values()) and connection.vendor == "postgresql":
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh planner statistics for the grown tables
            self.stdout.write(f"  analyzed ({time.perf_counter() - start:.1f} s)")
        total = sum(added.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data {size} ready: {total:,} rows added in {time.perf_counter() - started:.1f} s."
            )
        )
