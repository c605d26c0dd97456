"""Celery entry points of delivery: thin, idempotent, taking ids and calling services.

None yet."""
