from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from safeserve.accounts.views import LoginView, PasswordChangeView
from safeserve.assessment.api import router as assessment_router
from safeserve.core.home import HomeView
from safeserve.core.views import AutocompleteView
from safeserve.coverage.api import router as coverage_router
from safeserve.experts.api import router as experts_router
from safeserve.hazards.api import router as hazards_router
from safeserve.inspections.api import router as inspections_router
from safeserve.insurance.api import router as insurance_router
from safeserve.iot.api import TelemetryView
from safeserve.iot.api import router as iot_router
from safeserve.market.api import router as market_router
from safeserve.procurement.api import router as procurement_router
from safeserve.registry.api import router as registry_router
from safeserve.services.api import router as services_router
from safeserve.subsidies.api import router as subsidies_router
from safeserve.supervision.api import router as supervision_router
from safeserve.tipoffs.api import router as tipoffs_router

api_v1 = [
    path("telemetry", TelemetryView.as_view(), name="iot-telemetry"),
    path("iot/", include(iot_router.urls)),
    path("registry/", include(registry_router.urls)),
    path("services/", include(services_router.urls)),
    path("hazards/", include(hazards_router.urls)),
    path("coverage/", include(coverage_router.urls)),
    path("experts/", include(experts_router.urls)),
    path("assessment/", include(assessment_router.urls)),
    path("tipoffs/", include(tipoffs_router.urls)),
    path("supervision/", include(supervision_router.urls)),
    path("market/", include(market_router.urls)),
    path("inspections/", include(inspections_router.urls)),
    path("procurement/", include(procurement_router.urls)),
    path("subsidies/", include(subsidies_router.urls)),
    path("insurance/", include(insurance_router.urls)),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("autocomplete/<str:kind>/", AutocompleteView.as_view(), name="autocomplete"),
    path("accounts/", include("safeserve.accounts.urls")),
    path("registry/", include("safeserve.registry.urls")),
    path("iot/", include("safeserve.iot.urls")),
    path("inbox/", include("safeserve.notifications.urls")),
    path("services/", include("safeserve.services.urls")),
    path("hazards/", include("safeserve.hazards.urls")),
    path("credit/", include("safeserve.credit.urls")),
    path("coverage/", include("safeserve.coverage.urls")),
    path("experts/", include("safeserve.experts.urls")),
    path("assessment/", include("safeserve.assessment.urls")),
    path("", include("safeserve.tipoffs.urls")),
    path("supervision/", include("safeserve.supervision.urls")),
    path("associations/", include("safeserve.associations.urls")),
    path("training/", include("safeserve.training.urls")),
    path("inspections/", include("safeserve.inspections.urls")),
    path("procurement/", include("safeserve.procurement.urls")),
    path("subsidies/", include("safeserve.subsidies.urls")),
    path("insurance/", include("safeserve.insurance.urls")),
    path("", include("safeserve.core.urls")),
    path("", include("safeserve.ops.urls")),
    path("", include("safeserve.market.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
# Uploaded files are never served statically, in any mode (no `static(settings.MEDIA_URL, ...)`):
# photos go only through their scoped views, which check the viewer and the stored format.
