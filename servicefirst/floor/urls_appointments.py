"""The staff page for appointments."""

from django.urls import path

from servicefirst.floor import views_appointments as views

urlpatterns: list = [
    path("appointments/", views.page, name="appointments"),
    path("appointments/book/", views.book, name="appointments_book"),
    path(
        "appointments/<int:appointment_id>/check-in/",
        views.check_in,
        name="appointments_check_in",
    ),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="appointments_cancel"),
]
