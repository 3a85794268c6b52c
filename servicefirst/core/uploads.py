"""Every file people upload is checked here before anything reads it: its size (a limit per
kind of upload, from settings, so a server can raise it) and its type — the extension, and the
first bytes agreeing with it (an XLSX file is a zip archive; a CSV file is text, not a
spreadsheet, an archive or a program renamed).

Used as a form field validator::

    file = forms.FileField(validators=[UploadValidator(TABULAR, "IMPORT_MAX_UPLOAD_MB")])

The errors say what was wrong and what is accepted ("The file is 30.5 MB; at most 20 MB can
be uploaded here."). Request bodies other than files are limited by Django itself
(DATA_UPLOAD_MAX_MEMORY_SIZE, see config/settings.py).
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

MB = 1024 * 1024
SNIFF_BYTES = 64 * 1024

# Extensions the CSV/XLSX importers read.
TABULAR = (".csv", ".txt", ".xlsx")

ZIP_MAGIC = b"PK\x03\x04"
# First bytes of files that are never text: archives, Office 97 documents, PDF, programs.
BINARY_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0",  # OLE2: .xls, .doc
    b"%PDF",
    b"MZ",  # Windows programs
    b"\x7fELF",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
)
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _size_text(size: int) -> str:
    return f"{size / MB:.1f}"


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def check_upload(upload, *, suffixes: tuple[str, ...], max_mb: int) -> None:
    """Raise ValidationError when the upload is too big, of a type not accepted here, or its
    content does not match its extension."""
    if upload is None:
        return
    size = getattr(upload, "size", None) or 0
    if size > max_mb * MB:
        raise ValidationError(
            _("The file is %(size)s MB; at most %(limit)s MB can be uploaded here.")
            % {"size": _size_text(size), "limit": max_mb},
            code="too_big",
        )
    suffix = Path(getattr(upload, "name", "") or "").suffix.lower()
    if suffix not in suffixes:
        raise ValidationError(
            _("Files of type “%(suffix)s” cannot be uploaded here; accepted: %(accepted)s.")
            % {"suffix": suffix or _("(none)"), "accepted": ", ".join(suffixes)},
            code="wrong_type",
        )
    head = _head(upload)
    if suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            raise ValidationError(
                _("This is not an XLSX workbook (its content is not a zip archive)."),
                code="wrong_content",
            )
    elif suffix in (".csv", ".txt"):
        is_utf16 = head.startswith(TEXT_BOMS[1:])
        if head.startswith(BINARY_MAGIC) or (b"\x00" in head and not is_utf16):
            raise ValidationError(
                _("This is not a text (CSV) file; save it as CSV or XLSX and try again."),
                code="wrong_content",
            )


@deconstructible
class UploadValidator:
    """A form field validator: `suffixes` accepted, at most `settings.<limit_setting>` MB."""

    def __init__(self, suffixes: tuple[str, ...], limit_setting: str):
        self.suffixes = tuple(suffixes)
        self.limit_setting = limit_setting

    def __call__(self, upload) -> None:
        check_upload(
            upload, suffixes=self.suffixes, max_mb=int(getattr(settings, self.limit_setting))
        )

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, UploadValidator)
            and self.suffixes == other.suffixes
            and self.limit_setting == other.limit_setting
        )

    def __hash__(self) -> int:
        return hash((self.suffixes, self.limit_setting))
