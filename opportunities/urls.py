from django.urls import path

from . import views

app_name = "opportunities"

urlpatterns = [
    path("", views.opportunity_list_page, name="opportunity-list"),
    path("all/", views.opportunity_all, name="opportunity-all"),
    path("new/", views.opportunity_create, name="opportunity-create"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("<int:pk>/transitions/<slug:name>/", views.opportunity_transition, name="opportunity-transition"),
    path("<int:pk>/quotes/new/", views.quote_create, name="quote-create"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote-detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote-edit"),
    path("quotes/<int:pk>/transitions/<slug:name>/", views.quote_transition, name="quote-transition"),
]
