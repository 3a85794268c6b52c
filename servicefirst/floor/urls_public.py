"""Kiosk, appointment booking and the public display."""

from django.urls import path

from servicefirst.floor import views_public as views

urlpatterns: list = [
    path("book/", views.book, name="book"),
    path("book/cancel/", views.book_cancel, name="book_cancel"),
    path("book/done/<str:reference>/", views.book_done, name="book_done"),
    path("<slug:branch_code>/kiosk/", views.kiosk, name="kiosk"),
    path("<slug:branch_code>/kiosk/services/", views.kiosk_services, name="kiosk_services"),
    path("<slug:branch_code>/kiosk/check-in/", views.kiosk_check_in, name="kiosk_check_in"),
    path("<slug:branch_code>/kiosk/ticket/<str:token>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("<slug:branch_code>/display/", views.display, name="display"),
    path("<slug:branch_code>/display/state/", views.display_state, name="display_state"),
]
