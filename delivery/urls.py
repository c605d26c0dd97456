from django.urls import path

from . import views

app_name = "delivery"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("<int:pk>/", views.project_detail, name="project-detail"),
    path("<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("<int:pk>/transitions/<str:name>/", views.project_transition, name="project-transition"),
    # the delivery records: created on a project, then edited and moved by their own id
    path("<int:pk>/<str:kind>/new/", views.record_create, name="record-create"),
    path("changes/<int:pk>/", views.change_detail, name="change-detail"),
    path("delegations/<int:pk>/revoke/", views.record_step, {"kind": "delegation"}, name="delegation-revoke"),
    path("defects/<int:pk>/close/", views.record_step, {"kind": "defect"}, name="defect-close"),
    path("actions/<int:pk>/done/", views.record_step, {"kind": "action"}, name="action-done"),
]
for _kind, _plural in (("milestone", "milestones"), ("risk", "risks"), ("issue", "issues"), ("change", "changes")):
    urlpatterns += [
        path(f"{_plural}/<int:pk>/edit/", views.record_edit, {"kind": _kind}, name=f"{_kind}-edit"),
        path(
            f"{_plural}/<int:pk>/transitions/<str:name>/",
            views.record_transition,
            {"kind": _kind},
            name=f"{_kind}-transition",
        ),
    ]
