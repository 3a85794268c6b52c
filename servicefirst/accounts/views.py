from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from servicefirst.accounts.permissions import staff_of


@login_required
def home(request):
    return render(request, "accounts/home.html", {"member": staff_of(request.user)})
