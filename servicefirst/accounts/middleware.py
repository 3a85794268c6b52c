"""Per-request staff concerns: interface language, idle sign-out, the required second factor."""

import time
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from servicefirst.accounts import selectors


class UserLanguageMiddleware:
    """Each member of staff works in their own interface language (zh-Hans or en). A language
    chosen with the switcher (the language cookie) wins over the staff record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            user = request.user
            staff = getattr(user, "staff", None) if user.is_authenticated else None
            lang = getattr(staff, "preferred_ui_language", None)
            if lang:
                translation.activate(lang)
                request.LANGUAGE_CODE = lang
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Signs a member of staff out after settings.SESSION_IDLE_TIMEOUT seconds without a request
    (0: never); the login page then says why. The time of the last request is kept in the
    session, written at most once a minute so that a busy page does not save the session on
    every request. Every request counts as activity, including a live page's refreshes."""

    SESSION_KEY = "sf_last_seen"
    WRITE_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.SESSION_IDLE_TIMEOUT
        if timeout and request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.SESSION_KEY)
            if last is not None and now - int(last) > timeout:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity.")
                    % {"minutes": max(1, round(timeout / 60))},
                )
                if request.headers.get("HX-Request"):
                    return _htmx_redirect(resolve_url(settings.LOGIN_URL))
            elif last is None or now - int(last) >= self.WRITE_EVERY:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """When settings.OTP_REQUIRED_ROLES is not empty, a member of staff holding one of those
    roles (a superuser counts as an administrator) must enrol a TOTP authenticator and enter a
    code after signing in before any page works — the pages themselves, the admin and the API
    alike. Only the second-factor pages, logging out, static files and the language switch are
    let through. Bearer-token API calls carry no session and are not concerned."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.OTP_REQUIRED_ROLES
            and user.is_authenticated
            and not user.is_verified()
            and not self._exempt(request.path_info)
            and selectors.second_factor_required(user)
        ):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        allowed = (
            reverse("otp_setup"),
            reverse("otp_verify"),
            reverse("logout"),
            reverse("admin:logout"),
            reverse("set_language"),
            static,
        )
        return path.startswith(allowed)

    @staticmethod
    def _refuse(request):
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": "second factor required", "errors": []}, status=HTTPStatus.FORBIDDEN
            )
        target = "otp_verify" if selectors.totp_device(request.user) else "otp_setup"
        url = reverse(target)
        if request.method == "GET" and not request.headers.get("HX-Request"):
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            return _htmx_redirect(url)
        return redirect(url)


def _htmx_redirect(url: str) -> HttpResponse:
    """htmx follows HX-Redirect with a full page load (a 302 would swap the target page into
    a fragment)."""
    response = HttpResponse(status=HTTPStatus.NO_CONTENT)
    response["HX-Redirect"] = url
    return response
