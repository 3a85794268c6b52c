"""The password policy's own rule (the others are Django's: length, common, numeric, similar to
the login): a password mixes character classes — at least letters and digits."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassesValidator:
    """At least one letter and at least one digit (any script's letters count: 中文 too)."""

    def validate(self, password: str, user=None) -> None:
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise ValidationError(
                _("This password must contain both letters and digits."),
                code="password_needs_letters_and_digits",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain both letters and digits.")
