"""Staff pages outside the customer database: the home page after logging in, the member of
staff's own profile (password, second factor), the second-factor pages and the lockout page."""

import base64
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from servicefirst.accounts import selectors, services
from servicefirst.accounts.forms import TokenForm
from servicefirst.accounts.models import Role
from servicefirst.accounts.permissions import staff_of
from servicefirst.core.models import AuditEvent
from servicefirst.core.qr import qr_svg
from servicefirst.core.services import audit_record
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


# --- signing in ---------------------------------------------------------------------------


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout response (settings.AXES_LOCKOUT_CALLABLE): the login page again,
    saying that this login is blocked from here for a while and how to get it unlocked."""
    username = credentials.get("username", "") if isinstance(credentials, dict) else ""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )


def client_ip(request) -> str | None:
    """The address failed sign-ins are counted for (settings.AXES_CLIENT_IP_CALLABLE). Behind
    the TLS proxy (BEHIND_TLS_PROXY) it is the last address the proxy added to
    X-Forwarded-For — the earlier ones come from the client and could be made up."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


def _next_url(request, default: str) -> str:
    """Where to go after a second-factor page: the `next` it was given, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def profile(request):
    """The member of staff's own account: who they are, their password and second factor."""
    member = staff_of(request.user)
    labels = dict(Role.choices)
    roles = [labels[c] for c in sorted(member.role_codes) if c in labels] if member else []
    return render(
        request,
        "accounts/profile.html",
        {
            "member": member,
            "roles": roles,
            "device": selectors.totp_device(request.user),
            "required": selectors.second_factor_required(request.user),
            "remove_form": TokenForm(),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password; the password policy's rules are listed and enforced."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policy"] = password_validation.password_validators_help_texts()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def _qr_svg(url: str) -> str:
    return qr_svg(url, title=_("Authenticator set-up as a QR code"))


def _code_error(device, token: str) -> str | None:
    """None when the code is right; otherwise what to tell the member of staff. After wrong
    codes django-otp makes them wait (1, 2, 4, ... seconds) before it checks another."""
    allowed, _data = device.verify_is_allowed()
    if not allowed:
        return _("Too many wrong codes in a row: wait a few seconds, then enter the code again.")
    if device.verify_token(token):
        return None
    return _(
        "That code is not right. Codes change every 30 seconds: enter the one your app shows now."
    )


@login_required
def otp_setup(request):
    """Enrol an authenticator app: scan the QR code (or type the key), then enter a code it
    shows. A member of staff who already has one must use it (or remove it from their profile
    after entering a code): a password alone never replaces a second factor."""
    if selectors.totp_device(request.user) is not None:
        if request.user.is_verified():
            messages.info(request, _("You already use an authenticator app."))
            return redirect("profile")
        return redirect(f"{reverse('otp_verify')}?{request.GET.urlencode()}")
    device = services.totp_enrol_start(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        error = _code_error(device, form.cleaned_data["token"])
        if error is None:
            services.totp_enrol_confirm(user=request.user, device=device)
            otp_login(request, device)
            messages.success(
                request,
                _(
                    "Your authenticator app is set up. You will enter a code from it each time you sign in."
                ),
            )
            return redirect(_next_url(request, reverse("profile")))
        form.add_error("token", error)
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "key_plain": key,
            "required": selectors.second_factor_required(request.user),
            "next": _next_url(request, ""),
        },
    )


@login_required
def otp_verify(request):
    """After the password: the code from the authenticator app."""
    device = selectors.totp_device(request.user)
    if device is None:
        return redirect(f"{reverse('otp_setup')}?{request.GET.urlencode()}")
    if request.user.is_verified():
        return redirect(_next_url(request, reverse("home")))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        error = _code_error(device, form.cleaned_data["token"])
        if error is None:
            otp_login(request, device)
            return redirect(_next_url(request, reverse("home")))
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.LOGIN_FAILED,
            object_type="user",
            object_id=request.user.pk,
            detail={"username": request.user.get_username(), "second_factor": "totp"},
        )
        form.add_error("token", error)
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request, "")}
    )


@login_required
@require_POST
def otp_remove(request):
    """Stop using the authenticator app; a current code from it is asked for."""
    device = selectors.totp_device(request.user)
    form = TokenForm(request.POST)
    if device is None:
        return redirect("profile")
    if form.is_valid() and _code_error(device, form.cleaned_data["token"]) is None:
        services.totp_remove(user=request.user)
        messages.success(request, _("Your authenticator app is no longer used to sign in."))
    else:
        messages.error(request, _("The authenticator app was kept: the code was not right."))
    return redirect("profile")
