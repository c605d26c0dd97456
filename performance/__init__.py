"""Performance and incentives (DOMAIN.md §7): KPIs, appraisal cycles, scoring, calibration, appeals,
peer review and bonus pools. The skeleton of the app; its models come with the performance issue."""
