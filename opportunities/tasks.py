"""Celery entry points of opportunities: thin, idempotent, taking ids and calling services.

None yet."""
