"""Read-only in the admin: holds are placed and released, and customers anonymised, only
through privacy.services (permission-checked and audit-logged)."""

from django.contrib import admin

from servicefirst.core.admin import ReadOnlyAdmin
from servicefirst.privacy.models import AnonymisationRecord, LegalHold


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ("customer", "reason", "placed_by", "placed_at", "released_at")
    list_select_related = ("customer", "placed_by")


@admin.register(AnonymisationRecord)
class AnonymisationRecordAdmin(ReadOnlyAdmin):
    list_display = ("customer", "at", "by_username")
    list_select_related = ("customer",)
