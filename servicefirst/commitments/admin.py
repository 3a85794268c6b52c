"""Admin for the register. Events, cases and alerts are the engine's record: read-only here
(events are append-only; cases and alerts change only through the engine)."""

from django.contrib import admin

from servicefirst.commitments.models import (
    Alert,
    BusinessCalendar,
    Case,
    Commitment,
    CommitmentVersion,
    DiscussionComment,
    ServiceEvent,
)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "always_open", "observe_holidays")
    search_fields = ("code", "name_zh", "name_en")


class VersionInline(admin.TabularInline):
    model = CommitmentVersion
    fields = ("number", "status", "statement_zh", "target_value", "target_unit", "goal_percent")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ("code", "area", "owner", "beneficiary", "beneficiary_unit", "basis")
    list_filter = ("area", "beneficiary", "basis", "owner")
    search_fields = ("code", "versions__statement_zh", "versions__statement_en")
    inlines = [VersionInline]


@admin.register(CommitmentVersion)
class CommitmentVersionAdmin(admin.ModelAdmin):
    list_display = ("commitment", "number", "status", "measure", "target_value", "target_unit")
    list_filter = ("status", "measure", "target_unit")
    search_fields = ("commitment__code", "statement_zh", "statement_en")
    # The lifecycle (discussion, approval, publication) goes through the register's pages.
    readonly_fields = (
        "status",
        "discussion_opened_at",
        "approved_at",
        "approved_by",
        "published_at",
        "published_by",
        "retired_at",
        "created_by",
    )


@admin.register(DiscussionComment)
class DiscussionCommentAdmin(admin.ModelAdmin):
    list_display = ("version", "staff", "agrees", "created_at")
    list_filter = ("agrees",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServiceEvent)
class ServiceEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "subject", "occurred_at", "unit", "value")
    list_filter = ("kind",)
    search_fields = ("subject", "source_key")
    date_hierarchy = "occurred_at"


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "commitment", "subject", "state", "started_at", "due_at", "value")
    list_filter = ("state",)
    search_fields = ("subject", "commitment__code")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "case", "recipient", "level", "created_at", "read_at")
    list_filter = ("kind", "level")
