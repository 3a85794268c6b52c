from servicefirst.floor import urls_appointments, urls_public, urls_teller

app_name = "floor"
urlpatterns = [
    *urls_appointments.urlpatterns,
    *urls_public.urlpatterns,
    *urls_teller.urlpatterns,
]
