from django.urls import path

from servicefirst.satisfaction import views

app_name = "satisfaction"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("units/<slug:code>/", views.unit, name="unit"),
    path("staff/<int:pk>/", views.staff, name="staff"),
    path("care-center/", views.care_center, name="care_center"),
    path("invitations/<int:pk>/", views.invitation, name="invitation"),
    path("s/<str:token>/", views.survey, name="survey"),
]
