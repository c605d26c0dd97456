from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="lead-list"),
    path("new/", views.lead_create, name="lead-create"),
    path("export.xlsx", views.lead_export, name="lead-export"),
    path("import/", views.lead_import, name="import"),
    path("import/<int:pk>/", views.lead_import_detail, name="import-detail"),
    path("import/<int:pk>/valid-rows/", views.lead_import_valid_rows, name="import-valid-rows"),
    path("<int:pk>/", views.lead_detail, name="lead-detail"),
    path("<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("<int:pk>/transitions/<slug:name>/", views.lead_transition, name="lead-transition"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/new/", views.customer_form, name="customer-create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_form, name="customer-edit"),
    path("customers/<int:customer_pk>/contacts/new/", views.contact_form, name="contact-create"),
    path("contacts/<int:pk>/edit/", views.contact_form, name="contact-edit"),
]
