"""API routes of performance and incentives. None yet."""

urlpatterns: list = []
