from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="contract-list"),
    path("new/", views.contract_create, name="contract-create"),
    path("<int:pk>/", views.contract_detail, name="contract-detail"),
    path("<int:pk>/edit/", views.contract_edit, name="contract-edit"),
    path("<int:pk>/transitions/<slug:name>/", views.contract_transition, name="contract-transition"),
]
