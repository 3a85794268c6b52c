"""Staff pages outside the customer database: the home page after logging in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from servicefirst.accounts.models import Role
from servicefirst.accounts.permissions import staff_of
from servicefirst.customers.models import CustomerTask

HOME_TASK_LIMIT = 10


@login_required
def home(request):
    """Greeting, the big search box and the member of staff's own open follow-ups."""
    member = staff_of(request.user)
    tasks, roles = [], []
    if member is not None:
        labels = dict(Role.choices)
        roles = [labels[code] for code in sorted(member.role_codes) if code in labels]
        tasks = list(
            CustomerTask.objects.filter(
                assigned_to=member,
                status=CustomerTask.Status.OPEN,
                customer__merged_into__isnull=True,
            )
            .select_related("customer")
            .order_by("due_on", "id")[:HOME_TASK_LIMIT]
        )
    return render(request, "accounts/home.html", {"member": member, "tasks": tasks, "roles": roles})
