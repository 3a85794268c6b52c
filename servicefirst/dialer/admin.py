"""Admin of the contact centre, for looking things up: campaigns, call lists, calls, callbacks,
the do-not-call list and the dialer processes are changed by the product's own pages and
services (validated and audit-logged), so they are read-only here. An agent's telephony
settings (phone, languages, products, inbound) have no page yet and are edited here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.admin import MatrixAdmin
from servicefirst.accounts.permissions import Action, scope_for
from servicefirst.customers.fields import mask_phone
from servicefirst.dialer.models import (
    AgentState,
    AgentStatusLog,
    Call,
    Callback,
    CallListEntry,
    Campaign,
    DialerProcess,
    Disposition,
    DoNotCall,
)


class DialerAdmin(MatrixAdmin):
    """Open to whoever holds any of `actions`: the system's administrators (who run it) and
    the contact centre's supervisors and campaign managers."""

    actions_allowed = (Action.ORG_MANAGE, Action.CONTACT_SUPERVISE, Action.CAMPAIGN_MANAGE)

    def _allowed(self, request) -> bool:
        return any(scope_for(request.user, a) > 0 for a in self.actions_allowed)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)


class ReadOnly(DialerAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class MaskedPhone:
    @admin.display(description=_("number"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


class DispositionInline(admin.TabularInline):
    model = Disposition
    extra = 0
    can_delete = False
    fields = ("sort_order", "code", "kind", "label_zh", "label_en", "is_final")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnly):
    list_display = ("name", "status", "mode", "abandon_cap", "unit", "created_at")
    list_filter = ("status", "mode")
    search_fields = ("name",)
    inlines = [DispositionInline]


@admin.register(CallListEntry)
class CallListEntryAdmin(MaskedPhone, ReadOnly):
    list_display = (
        "campaign",
        "customer_id",
        "masked_phone",
        "status",
        "attempts",
        "next_attempt_at",
        "last_outcome",
    )
    list_filter = ("status", "source", "campaign")
    exclude = ("phone", "customer")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("phone", "customer")] + [
            "masked_phone"
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign")


@admin.register(Call)
class CallAdmin(MaskedPhone, ReadOnly):
    list_display = (
        "dial_key",
        "direction",
        "mode",
        "campaign",
        "masked_phone",
        "agent",
        "state",
        "outcome",
        "dialed_at",
        "answered_at",
        "talk_s",
    )
    list_filter = ("direction", "mode", "state", "outcome", "campaign")
    search_fields = ("dial_key", "telephony_ref")
    date_hierarchy = "created_at"
    exclude = ("phone", "customer", "notes")

    def get_readonly_fields(self, request, obj=None):
        hidden = ("phone", "customer", "notes")
        return [f.name for f in self.model._meta.fields if f.name not in hidden] + ["masked_phone"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "agent")


@admin.register(Callback)
class CallbackAdmin(MaskedPhone, ReadOnly):
    list_display = ("due_at", "campaign", "masked_phone", "assigned_to", "status")
    list_filter = ("status", "campaign")
    exclude = ("phone", "customer")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("phone", "customer")] + [
            "masked_phone"
        ]


@admin.register(DoNotCall)
class DoNotCallAdmin(MaskedPhone, ReadOnly):
    list_display = ("masked_phone", "reason", "added_at", "until", "added_by")
    list_filter = ("reason",)
    exclude = ("phone", "customer")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("phone", "customer")] + [
            "masked_phone"
        ]


@admin.register(AgentState)
class AgentStateAdmin(DialerAdmin):
    actions_allowed = (Action.STAFF_MANAGE, Action.CONTACT_SUPERVISE)
    list_display = ("staff", "status", "campaign", "takes_inbound", "phone_uri", "since")
    list_filter = ("status", "takes_inbound")
    fields = (
        "staff",
        "status",
        "pause_reason",
        "since",
        "campaign",
        "current_call",
        "logged_in_at",
        "takes_inbound",
        "languages",
        "products",
        "phone_uri",
    )
    # The working state changes on the agent desktop (and is logged there).
    readonly_fields = (
        "staff",
        "status",
        "pause_reason",
        "since",
        "campaign",
        "current_call",
        "logged_in_at",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AgentStatusLog)
class AgentStatusLogAdmin(ReadOnly):
    list_display = ("staff", "status", "pause_reason", "campaign", "started_at", "ended_at")
    list_filter = ("status",)
    date_hierarchy = "started_at"


@admin.register(DialerProcess)
class DialerProcessAdmin(ReadOnly):
    list_display = ("name", "pid", "host", "adapter", "started_at", "heartbeat_at", "stopped_at")
