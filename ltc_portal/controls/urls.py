from django.urls import path

from . import views

app_name = "controls"

urlpatterns = [
    path("request/", views.gate_request_view, name="request"),
    path("reviews/<int:pk>/decide/", views.gate_decide_view, name="decide"),
    path("my-decisions/", views.my_decisions, name="my-decisions"),
]
