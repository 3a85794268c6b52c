from django.urls import path

from servicefirst.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.retention, name="retention"),
    path("holds/", views.hold_place, name="hold_place"),
    path("holds/<int:hold_id>/release/", views.hold_release, name="hold_release"),
    path("anonymise/", views.anonymise, name="anonymise"),
]
