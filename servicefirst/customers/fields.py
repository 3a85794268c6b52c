"""Normalising and validating personal fields: names → pinyin, phones → E.164, identity
numbers → checksum, encryption at rest, keyed hash for exact search, masking."""

import base64
import datetime
import functools
import hashlib
import hmac
import operator
import os
import re
import time

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

_CJK = re.compile(r"[\u3400-\u9fff]")
_NON_ALNUM = re.compile(r"[^0-9a-z]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


# Surnames whose reading differs from the character's everyday reading (pypinyin reads 曾国藩 as
# "ceng guo fan"); a bank greets 曾先生 as Mr Zeng. Compound surnames first.
SURNAME_PINYIN = {
    "尉迟": "yu chi", "长孙": "zhang sun", "万俟": "mo qi", "单于": "chan yu", "令狐": "ling hu",
    "澹台": "tan tai", "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou",
    "朴": "piao", "查": "zha", "乐": "yue", "翟": "zhai", "缪": "miao", "盖": "ge", "覃": "qin",
    "种": "chong", "召": "shao", "繁": "po", "员": "yun", "宓": "fu", "秘": "bi", "谌": "chen",
    "冼": "xian", "洗": "xian", "厍": "she", "折": "she", "句": "gou", "隗": "wei", "莘": "shen",
    "祭": "zhai", "重": "chong", "褚": "chu", "尉": "yu", "蔚": "yu", "薄": "bo", "柏": "bai",
    "纪": "ji", "葛": "ge", "华": "hua", "任": "ren", "沈": "shen", "贾": "jia", "石": "shi",
    "叶": "ye", "车": "che", "燕": "yan", "黑": "he", "过": "guo", "阚": "kan",
}  # fmt: skip
_LATIN_SPLIT = re.compile(r"[\s\-·.]+")


_CHAR_PINYIN: dict[str, str] = {}  # a plain dict: cheaper to consult than an lru_cache


def _char_pinyin(char: str) -> str:
    reading = _CHAR_PINYIN.get(char)
    if reading is None:
        syllables = lazy_pinyin(char, errors="ignore")
        reading = syllables[0].lower() if syllables else ""
        if len(_CHAR_PINYIN) < 65536:
            _CHAR_PINYIN[char] = reading
    return reading


@functools.lru_cache(maxsize=65536)
def pinyin_keys(name_zh: str, name_latin: str = "") -> tuple[str, str]:
    """('zhangsanfeng', 'zsf') for 张三丰, reading the surname as a surname (曾 → zeng);
    for a Latin-only name, its letters and initials. Characters are converted one at a time
    (names are not phrases), with a per-character cache: the importer calls this per row."""
    if name_zh:
        name = "".join(name_zh.split())
        syllables: list[str] = []
        for surname in (name[:2], name[:1]):
            if surname in SURNAME_PINYIN:
                syllables = SURNAME_PINYIN[surname].split()
                name = name[len(surname) :]
                break
        get = _CHAR_PINYIN.get
        for char in name:
            reading = get(char)
            if reading is None:
                reading = _char_pinyin(char)
            if reading:
                syllables.append(reading)
        full = _NON_ALNUM.sub("", "".join(syllables))
        return full, "".join(s[0] for s in syllables if s[0].isalnum())
    words = [w for w in _LATIN_SPLIT.split(name_latin.lower()) if w]
    return _NON_ALNUM.sub("", "".join(words)), "".join(w[0] for w in words if w[0].isalnum())


_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_CN_NATIONAL = re.compile(r"(?:\+86|0086|86)?(1\d{10})")


@functools.cache
def _cn_mobile_pattern() -> re.Pattern:
    """Mainland mobile numbers as phonenumbers' own metadata defines them."""
    return re.compile(
        phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern
    )


def normalise_phone(raw: str, region: str = "CN") -> str:
    """Any input format → E.164; raises ValueError with a message for staff."""
    text = (raw or "").strip()
    if not text:
        raise ValueError(_("Enter a phone number."))
    if region == "CN":
        # Fast path for the common case, exact by construction: a national number that
        # matches the library's mobile pattern is a valid number. Anything else is decided
        # by phonenumbers itself below.
        mobile = _CN_NATIONAL.fullmatch(_PHONE_PUNCTUATION.sub("", text))
        if mobile and _cn_mobile_pattern().fullmatch(mobile.group(1)):
            return "+86" + mobile.group(1)
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


_ID_SEPARATORS = re.compile(r"[\s\-]")
_RESIDENT_ID = re.compile(r"\d{17}[\dX]")
_OTHER_ID = re.compile(r"[A-Z0-9]{5,30}")


def normalise_id_number(raw: str) -> str:
    return _ID_SEPARATORS.sub("", raw or "").upper()


def resident_id_birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


_today_cache: list = [-1.0, None]


def today() -> datetime.date:
    """`datetime.date.today()`, read from the clock at most once a second: validating a
    million rows asks for it a million times."""
    now = time.monotonic()
    if now - _today_cache[0] >= 1.0:
        _today_cache[0], _today_cache[1] = now, datetime.date.today()  # noqa: DTZ011 - local date
    return _today_cache[1]


def resident_id_parts(raw: str) -> tuple[str, datetime.date]:
    """Validate an 18-character PRC resident identity number (GB 11643-1999); return it
    normalised and the birth date it holds."""
    number = normalise_id_number(raw)
    if not _RESIDENT_ID.fullmatch(number):
        raise ValueError(_("A resident identity number has 17 digits followed by a digit or X."))
    try:
        born = resident_id_birth_date(number)
    except ValueError as exc:
        raise ValueError(
            _("The birth date inside the identity number is not a real date.")
        ) from exc
    if born.year < 1900 or born > today():
        raise ValueError(_("The birth date inside the identity number is not plausible."))
    if resident_id_check_digit(number[:17]) != number[17]:
        raise ValueError(
            _("The identity number's check digit is wrong; please re-check the number.")
        )
    return number, born


def validate_resident_id(raw: str) -> str:
    """Validate an 18-character PRC resident identity number (GB 11643-1999); return it normalised."""
    return resident_id_parts(raw)[0]


_ID_WEIGHTED_ZEROS = ord("0") * sum(_ID_WEIGHTS)


def resident_id_check_digit(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        # the usual case: weigh the digits' byte values at C speed
        total = sum(map(operator.mul, first17.encode(), _ID_WEIGHTS)) - _ID_WEIGHTED_ZEROS
    else:  # other Unicode digits (full-width ...), which `\d` and int() accept too; or not
        # digits at all, which raise as they always did
        total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(id_type: str, raw: str) -> str:
    if id_type == "resident":
        return validate_resident_id(raw)
    number = normalise_id_number(raw)
    if not _OTHER_ID.fullmatch(number):
        raise ValueError(_("An identity document number has 5 to 30 letters and digits."))
    return number


@functools.cache
def _aead() -> AESGCM:
    key = hashlib.sha256(b"servicefirst-aesgcm:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return AESGCM(key)


@functools.cache
def _hash_key() -> bytes:
    return hashlib.sha256(b"servicefirst-hmac:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()


_TOKEN_VERSION = b"\x01"


def encrypt(value: str) -> str:
    """AES-256-GCM with a random 96-bit nonce; the token is versioned for key rotation."""
    if not value:
        return ""
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(
        _TOKEN_VERSION + nonce + _aead().encrypt(nonce, value.encode(), None)
    ).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        if raw[:1] != _TOKEN_VERSION:
            return ""
        return _aead().decrypt(raw[1:13], raw[13:], None).decode()
    except (InvalidTag, ValueError):
        return ""


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of the normalised number: findable by exact number, useless without the key."""
    return (
        hmac.digest(_hash_key(), normalise_id_number(value).encode(), "sha256").hex()
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
