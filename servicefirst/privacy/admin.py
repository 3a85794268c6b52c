"""Read-only in the admin: holds are placed and released, and customers anonymised, only
through privacy.services (permission-checked and audit-logged)."""

from django.contrib import admin

from servicefirst.privacy.models import AnonymisationRecord, LegalHold


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ("customer", "reason", "placed_by", "placed_at", "released_at")
    list_select_related = ("customer", "placed_by")


@admin.register(AnonymisationRecord)
class AnonymisationRecordAdmin(ReadOnlyAdmin):
    list_display = ("customer", "at", "by_username")
    list_select_related = ("customer",)
