"""Browser pages of performance and incentives."""

from django.urls import path

from . import views

app_name = "performance"

urlpatterns = [
    path("", views.my_performance, name="mine"),
    path("appraisals/<int:pk>/transitions/<slug:name>/", views.appraisal_step, name="appraisal-step"),
    path("scores/", views.scores_to_give, name="scores"),
    path("scores/peer/<int:cycle_pk>/<int:user_pk>/", views.peer_review_give, name="peer-review-give"),
    path("scores/manager/<int:pk>/", views.manager_score_give, name="manager-score-give"),
    path("hr/", views.workspace, name="workspace"),
    path("hr/promotions/", views.promotions, name="promotions"),
    path("overview/", views.overview, name="overview"),
    path("hr/cycles/<int:pk>/transitions/<slug:name>/", views.cycle_step, name="cycle-step"),
    path("hr/appraisals/<int:pk>/calibrate/", views.calibrate, name="calibrate"),
    path("hr/appeals/<int:pk>/decide/", views.appeal_decide, name="appeal-decide"),
]
