from django.urls import path

from servicefirst.commitments import views, views_attainment

app_name = "commitments"
urlpatterns = [
    path("", views.register, name="register"),
    path("public/", views.public, name="public"),
    path("new/", views.create, name="new"),
    path("alerts/", views.alerts, name="alerts"),
    path("attainment/", views_attainment.attainment, name="attainment"),
    path("attainment.csv", views_attainment.attainment_csv, name="attainment_csv"),
    path("at-risk/", views_attainment.at_risk, name="at_risk"),
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/new/", views.calendar_edit, name="calendar_new"),
    path("calendars/<int:calendar_id>/", views.calendar_edit, name="calendar_edit"),
    path("<int:commitment_id>/", views.detail, name="detail"),
    path("<int:commitment_id>/history/", views.history, name="history"),
    path("<int:commitment_id>/new-version/", views.new_version, name="new_version"),
    path("versions/<int:version_id>/edit/", views.edit, name="edit"),
    path("versions/<int:version_id>/comment/", views.comment, name="comment"),
    path("versions/<int:version_id>/<slug:action>/", views.transition, name="transition"),
]
