from django.urls import path

from servicefirst.customers import import_views, views

app_name = "customers"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:customer_id>/", views.detail, name="detail"),
    path("<int:customer_id>/section/<slug:name>/", views.section, name="section"),
    path("<int:customer_id>/reveal/<slug:field>/", views.reveal, name="reveal"),
    path("<int:customer_id>/interactions/", views.add_interaction, name="add_interaction"),
    path("<int:customer_id>/household/", views.add_household, name="add_household"),
    path("<int:customer_id>/consents/", views.set_consent, name="set_consent"),
    path("<int:customer_id>/tasks/", views.add_task, name="add_task"),
    path("import/", import_views.import_start, name="import"),
    path("import/<int:job_id>/", import_views.import_status, name="import_status"),
    path("export/", import_views.export, name="export"),
]
