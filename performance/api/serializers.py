"""API serializers of performance and incentives. None yet."""
