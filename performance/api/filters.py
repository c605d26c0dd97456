"""API filters of performance and incentives. None yet."""
