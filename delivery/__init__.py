"""Delivery projects in six phases with their team, delegated authority, milestones and acceptance,
risks, issues (ITR), change requests (DR2) and quality checks. Built with the delivery issues."""
