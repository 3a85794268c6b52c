from django.urls import path

from servicefirst.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.acceptance, name="acceptance"),
    path("drill/", views.drill, name="drill"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_edit, name="segment_new"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/<int:segment_id>/", views.segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/outreach/", views.outreach_create, name="outreach_create"),
    path("outreach/<int:outreach_id>/", views.outreach_detail, name="outreach"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/dry-run/", views.rule_dry_run, name="rule_dry_run"),
    path("rules/run/", views.classification_start, name="classification_start"),
    path("rules/jobs/<int:job_id>/", views.job_status, name="job"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/move/", views.rule_move, name="rule_move"),
]
