from django.urls import path

from servicefirst.core import views

app_name = "audit"
urlpatterns = [path("", views.audit_list, name="list")]
