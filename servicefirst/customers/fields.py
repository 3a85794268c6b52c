"""Normalising and validating personal fields: names → pinyin, phones → E.164, identity
numbers → checksum, encryption at rest, keyed hash for exact search, masking."""

import base64
import datetime
import functools
import hashlib
import hmac
import re

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

_CJK = re.compile(r"[\u3400-\u9fff]")
_NON_ALNUM = re.compile(r"[^0-9a-z]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.lru_cache(maxsize=65536)
def pinyin_keys(name_zh: str, name_latin: str = "") -> tuple[str, str]:
    """('zhangsanfeng', 'zsf') for 张三丰; for a Latin-only name, its letters and initials."""
    if name_zh:
        syllables = [s.lower() for s in lazy_pinyin(name_zh, errors="ignore")]
        initials = [
            s[0] for s in lazy_pinyin(name_zh, style=Style.FIRST_LETTER, errors="ignore") if s
        ]
        return _NON_ALNUM.sub("", "".join(syllables)), _NON_ALNUM.sub("", "".join(initials).lower())
    words = [w for w in re.split(r"[\s\-·.]+", name_latin.lower()) if w]
    return _NON_ALNUM.sub("", "".join(words)), "".join(w[0] for w in words if w[0].isalnum())


def normalise_phone(raw: str, region: str = "CN") -> str:
    """Any input format → E.164; raises ValueError with a message for staff."""
    text = (raw or "").strip()
    if not text:
        raise ValueError(_("Enter a phone number."))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": raw}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("“%(value)s” is not a valid phone number.") % {"value": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_phone(raw: str, region: str = "CN") -> str | None:
    try:
        return normalise_phone(raw, region)
    except ValueError:
        return None


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def mask_phone(e164: str) -> str:
    """+8613800138000 → 138****8000 (national digits, middle four hidden)."""
    if not e164:
        return ""
    try:
        national = str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        national = re.sub(r"\D", "", e164)
    if len(national) <= 7:
        return (
            national[:2] + "*" * (len(national) - 4) + national[-2:]
            if len(national) > 4
            else "****"
        )
    return f"{national[:3]}****{national[-4:]}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_id_number(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


def resident_id_birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate_resident_id(raw: str) -> str:
    """Validate an 18-character PRC resident identity number (GB 11643-1999); return it normalised."""
    number = normalise_id_number(raw)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValueError(_("A resident identity number has 17 digits followed by a digit or X."))
    try:
        born = resident_id_birth_date(number)
    except ValueError as exc:
        raise ValueError(
            _("The birth date inside the identity number is not a real date.")
        ) from exc
    if born.year < 1900 or born > datetime.date.today():  # noqa: DTZ011 - a birth date is a local date
        raise ValueError(_("The birth date inside the identity number is not plausible."))
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise ValueError(
            _("The identity number's check digit is wrong; please re-check the number.")
        )
    return number


def resident_id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(id_type: str, raw: str) -> str:
    if id_type == "resident":
        return validate_resident_id(raw)
    number = normalise_id_number(raw)
    if not re.fullmatch(r"[A-Z0-9]{5,30}", number):
        raise ValueError(_("An identity document number has 5 to 30 letters and digits."))
    return number


@functools.cache
def _fernet() -> Fernet:
    key = hashlib.sha256(b"servicefirst-fernet:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


@functools.cache
def _hash_key() -> bytes:
    return hashlib.sha256(b"servicefirst-hmac:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of the normalised number: findable by exact number, useless without the key."""
    return (
        hmac.new(_hash_key(), normalise_id_number(value).encode(), hashlib.sha256).hexdigest()
        if value
        else ""
    )


def mask_id(last4: str) -> str:
    return f"**************{last4}" if last4 else ""


def mask_email(email: str) -> str:
    if not email or "@" not in email:
        return email
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_address(address: str) -> str:
    return address[:6] + "****" if len(address) > 6 else ("****" if address else "")


def mask_name(name: str) -> str:
    """For exports to roles that work on segments: 张三丰 → 张**."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if has_cjk(name) else name.split()[0][:1] + "***"
