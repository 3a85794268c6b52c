"""Kiosk, appointment booking and the public display."""

urlpatterns: list = []
