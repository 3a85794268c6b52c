"""Campaign pages and the do-not-call list (mounted under /contact/)."""

from django.urls import path

from servicefirst.dialer import views_campaigns as views

urlpatterns: list = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/status/", views.campaign_status, name="campaign_status"),
    path(
        "campaigns/<int:campaign_id>/dispositions/",
        views.disposition_add,
        name="disposition_add",
    ),
    path(
        "campaigns/<int:campaign_id>/dispositions/<int:disposition_id>/",
        views.disposition_edit,
        name="disposition_edit",
    ),
    path("campaigns/<int:campaign_id>/entries/", views.campaign_entries, name="campaign_entries"),
    path(
        "campaigns/<int:campaign_id>/entries/segment/",
        views.entries_segment,
        name="entries_segment",
    ),
    path("campaigns/<int:campaign_id>/entries/file/", views.entries_file, name="entries_file"),
    path(
        "campaigns/<int:campaign_id>/entries/customers/",
        views.entries_customers,
        name="entries_customers",
    ),
    path("campaigns/<int:campaign_id>/entries/pick/", views.pick_search, name="pick_search"),
    path(
        "campaigns/<int:campaign_id>/entries/<int:entry_id>/remove/",
        views.entry_remove,
        name="entry_remove",
    ),
    path("do-not-call/", views.dnc_list, name="dnc_list"),
    path("do-not-call/<int:dnc_id>/remove/", views.dnc_remove, name="dnc_remove"),
]
