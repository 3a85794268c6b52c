from django.urls import path

from servicefirst.care import views

app_name = "care"
urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("today/", views.today, name="today"),
    path("resolve/", views.resolve, name="resolve"),
]
