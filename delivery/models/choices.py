from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


# The gate codes delivery's code names (DOMAIN.md §4). Their definitions are data (seeded by the
# controls migrations): who decides, what is checked, which step runs on approval. The system check
# requires a definition for each (delivery/gates.py registers them with the engine).
DTRB, DRA, DTRC, DRB = "DTRB", "DRA", "DTRC", "DRB"
DR1, DR2, DR3, DR4 = "DR1", "DR2", "DR3", "DR4"
