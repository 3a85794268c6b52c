from django.urls import path

from servicefirst.dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("", views.board, name="board"),
    path("settings/", views.floor_settings_page, name="settings"),
    path("<slug:branch_code>/", views.board, name="board"),
    path("<slug:branch_code>/live/", views.live, name="live"),
    path("<slug:branch_code>/actions/", views.actions, name="actions"),
    path("<slug:branch_code>/do/<slug:action>/", views.act, name="act"),
    path("<slug:branch_code>/settings/", views.floor_settings_page, name="settings"),
    path("<slug:branch_code>/settings/counters/add/", views.counter_add, name="counter_add"),
    path(
        "<slug:branch_code>/settings/counters/<int:counter_id>/remove/",
        views.counter_remove,
        name="counter_remove",
    ),
]
