"""Celery entry points of contracts: thin, idempotent, taking ids and calling services.

None yet."""
