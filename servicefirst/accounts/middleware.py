from django.conf import settings
from django.utils import translation


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
