"""Browser pages of performance and incentives. None yet."""

app_name = "performance"

urlpatterns: list = []
