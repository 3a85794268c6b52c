"""The contact centre's pages, mounted at /contact/ (namespace "dialer"). Each part keeps its
routes in its own module; add a part by appending its urlpatterns here."""

from servicefirst.dialer import urls_campaigns, urls_desktop

app_name = "dialer"
urlpatterns: list = [
    *urls_campaigns.urlpatterns,
    *urls_desktop.urlpatterns,
]
