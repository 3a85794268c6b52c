from django.contrib import admin

from servicefirst.accounts.permissions import Action, scope_for
from servicefirst.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the admin shows but never adds, changes or deletes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit log cannot be edited or deleted through the product."""

    list_display = ("created_at", "actor_username", "action", "object_type", "object_id", "ip")
    list_filter = ("action", "channel")
    search_fields = ("actor_username", "object_id")

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user, Action.AUDIT_VIEW) > 0
