from django.urls import path

from servicefirst.servicedesk import views, views_public

app_name = "servicedesk"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("customers/", views.customer_pick, name="customer_pick"),
    path("report/", views.request_report, name="report"),
    path("report.csv", views.request_report_csv, name="report_csv"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/clocks/", views.request_clocks, name="clocks"),
    path("<int:pk>/<slug:action>/", views.request_act, name="act"),
    path("transfers/<int:pk>/<slug:action>/", views.transfer_act, name="transfer_act"),
    # Public, no login
    path("contact/", views_public.public_new, name="public_new"),
    path("s/<str:token>/", views_public.public_status, name="public_status"),
    path("s/<str:token>/reply/", views_public.public_reply, name="public_reply"),
]
