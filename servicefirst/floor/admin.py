"""Admin for the branch floor: services, each branch's floor settings and counters are edited
here; appointments, tickets, the floor log and learned service times are for looking up (the
floor's own pages and services change them, so that every change is logged)."""

from django.contrib import admin
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicefirst.accounts.admin import MatrixAdmin
from servicefirst.accounts.permissions import Action, staff_of
from servicefirst.commitments import sources as commitment_events
from servicefirst.customers.fields import mask_phone
from servicefirst.floor.live import notify_floor
from servicefirst.floor.models import (
    Appointment,
    Counter,
    FloorEvent,
    FloorSettings,
    Service,
    ServiceTimeStat,
    Ticket,
)


class FloorAdmin(MatrixAdmin):
    action = Action.FLOOR_MANAGE


class ReadOnlyFloorAdmin(FloorAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Service)
class ServiceAdmin(FloorAdmin):
    list_display = (
        "code",
        "letter",
        "name_zh",
        "name_en",
        "typical_minutes",
        "sort_order",
        "is_active",
    )
    list_editable = ("typical_minutes", "sort_order", "is_active")
    list_filter = ("is_active",)


@admin.register(FloorSettings)
class FloorSettingsAdmin(FloorAdmin):
    list_display = (
        "branch",
        "commitment_minutes",
        "max_wait_minutes",
        "opens_at",
        "closes_at",
        "slot_minutes",
        "raining",
    )
    filter_horizontal = ("services",)
    readonly_fields = ("raining", "raining_since")
    fieldsets = (
        (None, {"fields": ("branch", "services", "commitment_minutes", "max_wait_minutes")}),
        (
            _("Priorities"),
            {
                "fields": (
                    "vip_priority",
                    "elderly_age",
                    "elderly_priority",
                    "disabled_priority",
                    "appointment_priority",
                )
            },
        ),
        (
            _("Opening hours and appointments"),
            {"fields": ("opens_at", "closes_at", "slot_minutes", "appointment_grace_minutes")},
        ),
        (_("Alerts and weather"), {"fields": ("long_service_factor", "raining", "raining_since")}),
    )


@admin.register(Counter)
class CounterAdmin(FloorAdmin):
    list_display = ("branch", "number", "service_list", "staff", "is_open", "paused")
    list_filter = ("branch", "is_open")
    filter_horizontal = ("services",)
    # Who sits where and whether it is open are changed on the floor (and logged there).
    readonly_fields = ("staff", "is_open", "paused", "pause_reason")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("branch", "staff")
            .prefetch_related("services")
        )

    @admin.display(description=pgettext_lazy("counter services", "services"))
    def service_list(self, obj):
        return ", ".join(s.letter for s in obj.services.all())


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyFloorAdmin):
    list_display = (
        "reference",
        "branch",
        "service",
        "slot_start",
        "status",
        "masked_phone",
        "booked_by",
    )
    list_filter = ("status", "branch", "service")
    search_fields = ("reference",)
    date_hierarchy = "slot_start"
    fields = (
        "reference",
        "branch",
        "service",
        "slot_start",
        "status",
        "masked_phone",
        "booked_by",
        "created_at",
        "checked_in_at",
    )
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


@admin.action(description=_("Cancel the selected waiting tickets"))
def cancel_waiting(modeladmin, request, queryset):
    staff = staff_of(request.user)
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update().filter(
                pk__in=list(queryset.values_list("pk", flat=True)), status=Ticket.Status.WAITING
            )
        )
        now = timezone.now()
        for ticket in tickets:
            ticket.status = Ticket.Status.CANCELLED
            ticket.finished_at = now
            ticket.save(update_fields=["status", "finished_at"])
            commitment_events.ticket_cancelled(ticket, staff_id=staff.pk if staff else None)
            FloorEvent.objects.create(
                branch_id=ticket.branch_id,
                at=now,
                kind=FloorEvent.Kind.CANCEL,
                actor=staff,
                ticket=ticket,
                detail={"number": ticket.number, "via": "admin"},
            )
        for branch_id in {t.branch_id for t in tickets}:
            notify_floor(branch_id, "queue")
    modeladmin.message_user(request, _("%(n)s tickets cancelled.") % {"n": len(tickets)})


@admin.register(Ticket)
class TicketAdmin(ReadOnlyFloorAdmin):
    list_display = (
        "number",
        "branch",
        "service",
        "day",
        "status",
        "priority",
        "priority_reason",
        "issued_at",
        "called_at",
        "counter",
        "outcome",
    )
    list_filter = ("status", "priority_reason", "branch", "service", "day")
    search_fields = ("number",)
    date_hierarchy = "issued_at"
    actions = [cancel_waiting]
    exclude = ("customer",)  # personal data: the customer is looked up in the customer pages

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Ticket._meta.fields if f.name != "customer"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "service", "counter")

    def has_change_permission(self, request, obj=None):
        # The list's action (cancel) needs it; the form itself is all read-only fields.
        return super(ReadOnlyFloorAdmin, self).has_change_permission(request, obj)


@admin.register(FloorEvent)
class FloorEventAdmin(ReadOnlyFloorAdmin):
    list_display = ("at", "branch", "kind", "actor", "ticket", "counter")
    list_filter = ("kind", "branch")
    date_hierarchy = "at"
    readonly_fields = ("branch", "at", "kind", "actor", "ticket", "counter", "detail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "actor", "ticket", "counter")


@admin.register(ServiceTimeStat)
class ServiceTimeStatAdmin(ReadOnlyFloorAdmin):
    list_display = (
        "branch",
        "service",
        "hour",
        "samples",
        "mean_s",
        "p50_s",
        "p90_s",
        "updated_at",
    )
    list_filter = ("branch", "service")
