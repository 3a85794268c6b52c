from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from servicefirst.accounts.models import Bank, Staff, StaffRole, Unit
from servicefirst.accounts.permissions import Action, scope_for


class MatrixAdmin(admin.ModelAdmin):
    """Admin pages obey the same permission matrix as the API and the pages."""

    action = Action.ORG_MANAGE

    def has_module_permission(self, request):
        return scope_for(request.user, self.action) > 0

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user, self.action) > 0

    has_add_permission = has_view_permission

    def has_change_permission(self, request, obj=None):
        return scope_for(request.user, self.action) > 0

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Bank, MatrixAdmin)


@admin.register(Unit)
class UnitAdmin(MatrixAdmin):
    list_display = ("code", "name_zh", "name_en", "kind", "line")
    list_filter = ("kind", "line")


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(Staff)
class StaffAdmin(MatrixAdmin):
    action = Action.STAFF_MANAGE
    list_display = ("employee_number", "name", "unit")
    list_filter = ("unit",)
    search_fields = ("name", "employee_number")
    inlines = [StaffRoleInline]


# --- signing in: locked logins and authenticator apps, for whoever manages staff ------------
# django-axes and django-otp register their own admin pages for superusers; administrators
# (staff.manage) see them too: unlocking a login (delete its access attempts) and removing a
# lost phone's authenticator app (the member of staff then enrols again).


class StaffManageMixin:
    def has_module_permission(self, request):
        return scope_for(request.user, Action.STAFF_MANAGE) > 0

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user, Action.STAFF_MANAGE) > 0

    has_delete_permission = has_view_permission

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _reregister(model, admin_class):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(admin_class.__name__, (StaffManageMixin, admin_class), {}))


_reregister(AccessAttempt, AccessAttemptAdmin)
_reregister(TOTPDevice, TOTPDeviceAdmin)
