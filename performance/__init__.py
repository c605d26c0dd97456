"""KPIs, appraisal templates and cycles, feedback, peer evaluation, bonus pools and the KPI scoring
job. Built with the performance issues."""
