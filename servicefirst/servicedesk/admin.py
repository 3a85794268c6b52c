"""Request categories are configuration (ORG_MANAGE); requests themselves are worked on the
request pages, through the services, so that every change records its commitments' events."""

from django.contrib import admin

from servicefirst.accounts.admin import MatrixAdmin
from servicefirst.servicedesk.models import RequestCategory


@admin.register(RequestCategory)
class RequestCategoryAdmin(MatrixAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "kind",
        "default_unit",
        "to_home_branch",
        "complexity",
        "public",
        "is_active",
    )
    list_filter = ("kind", "complexity", "public", "is_active", "default_unit")
    search_fields = ("code", "name_zh", "name_en")
