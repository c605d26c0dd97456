from django.urls import path

from . import views

app_name = "opportunities"

urlpatterns = [
    path("", views.opportunity_list_page, name="opportunity-list"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
]
