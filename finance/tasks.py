"""Celery entry points of finance: thin, idempotent, taking ids and calling services.

None yet."""
