"""Handlers of performance and incentives (DOMAIN.md §7). None yet: they come with the KPI and appraisal work."""
