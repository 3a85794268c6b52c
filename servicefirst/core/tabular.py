"""Reading the CSV and XLSX files people give us, whatever state they are in.

Shared by every importer (customers, call lists, the call centre's history):

- **Encoding.** Text files are UTF-8 (with or without a byte-order mark) or, failing that,
  GB18030 — a superset of GBK and GB2312, what Excel and WPS on a Chinese Windows save "CSV"
  as; a file starting with a UTF-16 byte-order mark (Excel's "Unicode text") is UTF-16. A
  file that is none of these is refused with a message naming the encodings and the first
  line that cannot be read (`text_encoding`, `decode_text`); so is a UTF-8 or GB18030 file
  with NUL bytes in it (a binary file, which PostgreSQL could not store anyway).
- **Cell size.** No cell of an import is meant to hold more than `MAX_CELL_CHARS` characters
  (the longest field, an address, holds 200); a longer one is reported by row and column
  (`too_long`) instead of being echoed back in an error message or stored. Python's `csv`
  refuses fields over its own limit (128 KiB) with `csv.Error`; `record_at` reads such a
  record again to say which column it was.
- **XLSX archives.** An XLSX file is a zip archive; before openpyxl opens one, `check_xlsx`
  refuses what is not a zip archive and a "zip bomb" (members that unpack to far more than
  the file could reasonably hold).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

# The longest text any importer accepts in one cell (addresses hold 200 characters).
MAX_CELL_CHARS = 10_000
# An XLSX archive may unpack to at most this much (a file of a million customers unpacks to
# about 1 GiB); importers with smaller files pass a smaller limit.
XLSX_MAX_UNPACKED = 2 << 30
# A member bigger than XLSX_RATIO_FROM bytes and compressed more than XLSX_MAX_RATIO times is a
# zip bomb: real spreadsheets compress 5–30 times, a bomb of zeros about 1000 times.
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 32 << 20

ENCODINGS = ("utf-8-sig", "gb18030")
_CHUNK = 1 << 20


class Unreadable(ValueError):
    """The file cannot be read. `line`/`column` say where, when known (line 0: the whole
    file); the message is for the person who gave us the file."""

    def __init__(self, message: str, *, line: int = 0, column: str = ""):
        super().__init__(message)
        self.line = line
        self.column = column


def _has_utf16_bom(head: bytes) -> bool:
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _binary(line: int) -> Unreadable:
    return Unreadable(
        _("Line %(line)d holds a NUL byte: this is a binary file, not CSV text.") % {"line": line},
        line=line,
    )


def _not_text(line: int) -> Unreadable:
    return Unreadable(
        _(
            "The file is not text in UTF-8 or GB18030/GBK encoding (line %(line)d cannot be "
            "read). Save it as “CSV UTF-8” or as XLSX."
        )
        % {"line": line},
        line=line,
    )


def _first_bad_line(chunks: Iterable[bytes], encoding: str) -> int | None:
    """The line of the first byte that does not decode, or None if everything decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    for chunk in chunks:
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise _binary(lines + chunk[:nul].count(b"\n") + 1)
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return lines + 1
    return None


def _file_chunks(path: Path):
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def text_encoding(path: Path) -> str:
    """'utf-8-sig' if the file is UTF-8, else 'gb18030' if it is GB18030 (GBK), 'utf-16' if
    it starts with a UTF-16 byte-order mark; Unreadable otherwise. UTF-8 is tried first: a
    UTF-8 file of Chinese text is almost never valid GB18030, and plain ASCII is both."""
    with open(path, "rb") as fh:
        if _has_utf16_bom(fh.read(2)):
            return "utf-16"
    if _first_bad_line(_file_chunks(path), "utf-8") is None:
        return "utf-8-sig"
    bad = _first_bad_line(_file_chunks(path), "gb18030")
    if bad is None:
        return "gb18030"
    raise _not_text(bad)


def decode_text(content: bytes) -> str:
    """The text of an uploaded file: UTF-8 (a byte-order mark dropped), else GB18030 (GBK),
    or UTF-16 after its byte-order mark; Unreadable naming the first bad line otherwise."""
    if _has_utf16_bom(content):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_text(1) from None
    nul = content.find(b"\x00")
    if nul >= 0:
        raise _binary(content[:nul].count(b"\n") + 1)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _not_text(content[: exc.start].count(b"\n") + 1) from None


def check_xlsx(source: Path | str | IO[bytes], *, max_unpacked: int = XLSX_MAX_UNPACKED) -> None:
    """Unreadable unless `source` is a zip archive that unpacks to a sane size. The sizes
    checked are the archive's own: reading a member never yields more than its stated size
    (zipfile stops there and the checksum fails), so a lying archive cannot get past this."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise Unreadable(_("This is not a readable XLSX file.")) from None
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        raise Unreadable(
            _("This XLSX file unpacks to %(mb)d MB; at most %(max)d MB can be imported.")
            % {"mb": unpacked >> 20, "max": max_unpacked >> 20}
        )
    for m in members:
        if m.file_size > XLSX_RATIO_FROM and m.file_size > XLSX_MAX_RATIO * max(m.compress_size, 1):
            raise Unreadable(
                _(
                    "This XLSX file is compressed %(ratio)d times over, which no spreadsheet "
                    "is: it is refused as a possible zip bomb."
                )
                % {"ratio": m.file_size // max(m.compress_size, 1)}
            )


def longest(values: Iterable[Any]) -> int:
    """The length of the longest text among a row's values (dates and numbers count 0)."""
    try:
        return max(map(len, values), default=0)
    except TypeError:  # a spreadsheet row also holds dates or numbers
        return max((len(v) for v in values if isinstance(v, str)), default=0)


def too_long(values: list[Any], headers: list[str], limit: int = MAX_CELL_CHARS) -> list[str]:
    """Messages for the row's cells longer than `limit`, each naming its column."""
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str) and len(value) > limit:
            column = (
                headers[i] if i < len(headers) and headers[i] else _("column %(n)d") % {"n": i + 1}
            )
            out.append(
                (
                    column,
                    _("This cell holds %(n)d characters; at most %(max)d are allowed.")
                    % {"n": len(value), "max": limit},
                )
            )
    return out


def record_at(lines: Iterable[str], line: int, **reader_kwargs) -> list[str]:
    """The CSV record starting at physical line `line` (1-based) of `lines`, read without the
    csv module's field size limit (for saying which column was too long). Empty if it still
    cannot be read."""
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(1 << 30)
        return next(csv.reader(itertools.islice(lines, line - 1, None), **reader_kwargs), [])
    except (csv.Error, UnicodeDecodeError):
        return []
    finally:
        csv.field_size_limit(previous)


def shown(value: Any, limit: int = 60) -> str:
    """A value as quoted in an error message: long values cut short."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
