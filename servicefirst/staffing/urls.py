from django.urls import path

from servicefirst.staffing import views

app_name = "staffing"
urlpatterns = [
    path("", views.planner_view, name="planner"),
]
