"""The portal's URLs: pages per app, the admin, and the REST API under /api/v1/."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from ltc_portal.core import views as core_views
from ltc_portal.core.api.views import schema_view, swagger_view

handler400 = "ltc_portal.core.views.handler400"
handler404 = "ltc_portal.core.views.handler404"
handler500 = "ltc_portal.core.views.handler500"

api_v1 = [
    path("", include("leads.api.urls")),
    path("", include("opportunities.api.urls")),
    path("", include("contracts.api.urls")),
    path("", include("delivery.api.urls")),
    path("", include("finance.api.urls")),
    path("", include("performance.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("ltc_portal.controls.api.urls")),
    path("", include("ltc_portal.core.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("home/panels/<slug:key>/", core_views.home_panel, name="home-panel"),
    path("search/", core_views.search, name="search"),
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True)),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("leads/", include("leads.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("gates/", include("ltc_portal.controls.urls")),
    path("contracts/", include("contracts.urls")),
    path("projects/", include("delivery.urls")),
    path("finance/", include("finance.urls")),
    path("performance/", include("performance.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", schema_view, name="schema"),
    path("api/docs/", swagger_view, name="swagger-ui"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
