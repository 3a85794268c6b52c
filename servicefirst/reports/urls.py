from django.urls import path

from servicefirst.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.branch, name="branch"),
    path("export/", views.export, name="export"),
]
