"""System checks (``manage.py check``) that the gates the code names and the gates the data defines
agree: every gate code the code relies on has a definition (controls.E001); every definition's step
exists on its subject (controls.E002); no gate the code relies on is inactive while subjects wait at
it (controls.E003); every checklist key is a registered check (controls.E004).

They read the database, and say nothing while its tables are not migrated yet."""

from django.core import checks
from django.db import DatabaseError

from . import registry
from .models import GateDefinition


@checks.register("controls")
def gate_definitions_check(app_configs=None, **kwargs):
    try:
        definitions = {d.code: d for d in GateDefinition.objects.all()}
    except DatabaseError:
        return []  # not migrated yet: migrate seeds the definitions
    errors = []
    for code in sorted(registry.used_gates()):
        definition = definitions.get(code)
        if definition is None:
            errors.append(
                checks.Error(
                    f"Gate {code} is used by the code but has no definition.",
                    hint="Seed it with a data migration (ltc_portal/controls/migrations) or restore it in the admin.",
                    id="controls.E001",
                )
            )
        elif not definition.active:
            try:
                waiting = registry.waiting_subjects(definition)
                count = waiting.count() if waiting is not None else 0
            except DatabaseError:
                count = 0
            if count:
                errors.append(
                    checks.Error(
                        f"Gate {code} is inactive but the code relies on it and {count} subject(s) wait at it.",
                        hint="Reactivate it in the admin.",
                        id="controls.E003",
                    )
                )
    subjects = registry.subject_types()
    for definition in definitions.values():
        st = subjects.get(definition.subject_type)
        if definition.transition and (
            st is None or not hasattr(getattr(st.model, definition.transition, None), "_django_fsm")
        ):
            errors.append(
                checks.Error(
                    f"Gate {definition.code} runs step “{definition.transition}”, which its subject "
                    f"({definition.subject_type}) does not have.",
                    hint="Correct the definition's transition in the admin.",
                    id="controls.E002",
                )
            )
        unknown = [k for k in definition.checklist or [] if registry.check(k) is None]
        if unknown:
            errors.append(
                checks.Error(f"Gate {definition.code} lists unknown checks: {', '.join(unknown)}.", id="controls.E004")
            )
    return errors
