from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("", include("servicefirst.ops.urls")),  # healthz, readyz, metrics
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("servicefirst.accounts.urls")),
    path("customers/", include("servicefirst.customers.urls")),
    path("audit/", include("servicefirst.core.urls")),
    path("insights/", include("servicefirst.insights.urls")),
    path("scoring/", include("servicefirst.scoring.urls")),
    path("floor/", include("servicefirst.floor.urls")),
    path("dispatch/", include("servicefirst.dispatch.urls")),
    path("lobby/", include("servicefirst.lobby.urls")),
    path("care/", include("servicefirst.care.urls")),
    path("reports/", include("servicefirst.reports.urls")),
    path("staffing/", include("servicefirst.staffing.urls")),
    path("contact/", include("servicefirst.dialer.urls")),
    path("commitments/", include("servicefirst.commitments.urls")),
    path("requests/", include("servicefirst.servicedesk.urls")),
    path("remedies/", include("servicefirst.remedies.urls")),
    path("satisfaction/", include("servicefirst.satisfaction.urls")),
    path("culture/", include("servicefirst.culture.urls")),
    path("privacy/", include("servicefirst.privacy.urls")),
]
