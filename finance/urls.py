from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("new/", views.budget_create, name="budget-create"),
    path("<int:pk>/", views.budget_detail, name="budget-detail"),
    path("<int:pk>/edit/", views.budget_edit, name="budget-edit"),
    path("<int:pk>/transitions/<slug:name>/", views.budget_transition, name="budget-transition"),
]
