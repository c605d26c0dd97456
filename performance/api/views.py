"""API views of performance and incentives. None yet."""
