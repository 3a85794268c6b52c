"""The teller's counter page."""

urlpatterns: list = []
