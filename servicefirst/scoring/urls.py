from django.urls import path

from servicefirst.scoring import views

app_name = "scoring"
urlpatterns = [
    path("", views.models_page, name="models"),
    path("jobs/", views.job_start, name="job_start"),
    path("jobs/<int:job_id>/", views.job_status, name="job"),
    path("customers/<int:customer_id>/offer/", views.offer_card, name="offer_card"),
]
