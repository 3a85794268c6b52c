from django.urls import path

from servicefirst.lobby import views

app_name = "lobby"
urlpatterns = [
    path("", views.home, name="home"),
    path("walk-ins/", views.walkin, name="walkin"),
    path("walk-ins/today/", views.today, name="today"),
    path("arrivals/", views.arrivals, name="arrivals"),
    path("handoffs/", views.handoff, name="handoff"),
    path("handoffs/overdue/", views.overdue, name="overdue"),
    path("handoffs/<int:handoff_id>/close/", views.handoff_complete, name="handoff_complete"),
    path("followups/", views.followup, name="followup"),
    path("followups/<int:followup_id>/close/", views.followup_complete, name="followup_complete"),
    path("tasks/", views.tasks, name="tasks"),
    path("known/", views.known, name="known"),
    path("advertising/", views.advertising, name="advertising"),
    path("recognise/", views.recognise, name="recognise"),
]
