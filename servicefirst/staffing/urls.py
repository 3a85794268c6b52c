from django.urls import path

from servicefirst.staffing import views, views_history

app_name = "staffing"
urlpatterns = [
    path("", views.planner_view, name="planner"),
    path("history/", views_history.history_view, name="history"),
]
