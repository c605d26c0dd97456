from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from ltc_portal.core.demo import DEMO_PASSWORD, DEMO_USERS, ensure_demo_users, seeders


class Command(BaseCommand):
    help = "Load the demo data (idempotent): one user per role and realistic records in every state."

    def handle(self, *args, **options):
        autodiscover_modules("demo")
        with transaction.atomic():
            users = ensure_demo_users()
            for _order, name, func in seeders():
                func(users)
                self.stdout.write(f"  seeded {name}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for username, full_name, roles in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {', '.join(roles):<16} {full_name}")
        self.stdout.write(f"  {'admin':<10} {'superuser':<16} (Django admin)")
