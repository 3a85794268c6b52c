"""Every import path fed malformed files: each is refused with a message that says what is wrong
(and where), and nothing at all is written.

The import paths: the customer import (CSV/TXT/XLSX, page, command and job), the contact
centre's call-list upload (CSV/XLSX) and the call centre's history import (tab-separated).
GBK/GB18030 files, what Excel and WPS on a Chinese Windows save, are read, not refused.
"""

import functools
import io
import random
import zipfile

import openpyxl
import pytest

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import make_staff
from servicefirst.core.errors import ValidationFailed
from servicefirst.core.tabular import MAX_CELL_CHARS
from servicefirst.customers.importing import import_customers
from servicefirst.customers.models import Customer, CustomerPhone, Holding, Interaction
from servicefirst.dialer import lists
from servicefirst.dialer.models import Call, CallListEntry
from servicefirst.dialer.tests import campaign_factories as f
from servicefirst.staffing.history import COLUMNS, import_inbound_history

pytestmark = pytest.mark.django_db

HEADER = "外部编号,姓名,性别,手机\n"
ROW = "GOOD-1,张三丰,男,13800138000\n"
MEGABYTE = 1 << 20


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Customer, CustomerPhone, Holding, Interaction, CallListEntry, Call)
    }


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@functools.cache
def zip_bomb(member_mb: int = 64) -> bytes:
    """A well-formed XLSX skeleton whose sheet unpacks from ~64 KiB to `member_mb` MiB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\0" * MEGABYTE
            for _n in range(member_mb):
                member.write(block)
    return out.getvalue()


def damaged_xlsx() -> bytes:
    """A real workbook whose sheet's XML breaks off after a few rows."""
    good = xlsx_bytes([["外部编号", "姓名"], *[[f"D-{i}", f"客户{i}"] for i in range(20)]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="5"')] + b'<row r="5"><c r="A5" t="inl'
            dst.writestr(item, data)
    return out.getvalue()


# --- the customer import ---------------------------------------------------------------------


@pytest.fixture
def importer():
    return make_staff(Role.BACK_OFFICE).user


def run_import(importer, tmp_path, name: str, content: bytes, **kwargs):
    path = tmp_path / name
    path.write_bytes(content)
    return import_customers(actor=importer, path=path, **kwargs)


def refused(result) -> list[tuple[int, str, str]]:
    assert result.rejected, result.errors
    assert result.created == result.updated == 0
    return [(e.line, e.field, e.message) for e in result.errors]


def test_a_gbk_csv_with_chinese_names_is_read(importer, tmp_path):
    # given a file saved by Excel on a Chinese Windows: GBK, with one name only GB18030 holds
    text = HEADER + ROW + "GOOD-2,欧阳娜娜,女,\nGOOD-3,王𠮷,男,\n"
    # when it is imported
    result = run_import(importer, tmp_path, "客户.csv", text.encode("gb18030"))
    # then the names arrive intact
    assert (result.created, result.errors) == (3, [])
    names = set(Customer.objects.values_list("name_zh", flat=True))
    assert names == {"张三丰", "欧阳娜娜", "王𠮷"}


def test_utf8_with_a_byte_order_mark_and_utf16_are_read(importer, tmp_path):
    result = run_import(importer, tmp_path, "a.csv", (HEADER + ROW).encode("utf-8-sig"))
    assert (result.created, result.errors) == (1, [])
    tabbed = (HEADER + "GOOD-2,李四,女,\n").replace(",", "\t")
    result = run_import(importer, tmp_path, "unicode.txt", tabbed.encode("utf-16"))
    assert (result.created, result.errors) == (1, [])
    assert Customer.objects.filter(name_zh="李四").exists()


@pytest.mark.parametrize(
    ("name", "content", "line", "words"),
    [
        # neither UTF-8 nor GB18030: named encodings and the line
        ("a.csv", b"external_id,name_zh\nX1,abc\nX2,\x80\xff\n", 3, ["UTF-8", "GB18030"]),
        # a NUL byte: a binary file
        ("a.csv", (HEADER + ROW + "X,张\x00三,男,\n").encode(), 3, ["NUL", "binary"]),
        ("a.csv", b"", 1, ["empty"]),
        ("a.csv", HEADER.encode(), 2, ["no rows"]),
        ("a.xlsx", b"", 0, ["not a readable XLSX"]),
        ("a.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, 0, ["not a readable XLSX"]),
        ("a.xlsx", b"PK\x03\x04 but not really a zip", 0, ["not a readable XLSX"]),
        ("a.xlsx", xlsx_bytes([]), 1, ["empty"]),
        ("a.xlsx", xlsx_bytes([["外部编号", "姓名"]]), 2, ["no rows"]),
    ],
    ids=[
        "undecodable",
        "nul-byte",
        "empty-csv",
        "header-only-csv",
        "empty-xlsx",
        "png-as-xlsx",
        "broken-zip",
        "empty-workbook",
        "header-only-xlsx",
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_written(
    importer, tmp_path, name, content, line, words
):
    before = counts()
    result = run_import(importer, tmp_path, name, content)
    errors = refused(result)
    assert errors[0][0] == line
    for word in words:
        assert word in errors[0][2]
    assert counts() == before


def test_binary_garbage_is_refused_whatever_it_decodes_to(importer, tmp_path):
    rng = random.Random(7)
    before = counts()
    for n in range(20):
        garbage = bytes(rng.randrange(256) for _ in range(4096))
        for name in ("garbage.csv", "garbage.xlsx", "garbage.txt"):
            result = run_import(importer, tmp_path, f"{n}-{name}", garbage)
            errors = refused(result)
            assert errors
            assert all(e[2] for e in errors)
    assert counts() == before


def test_missing_columns_are_named(importer, tmp_path):
    # no column says which customer a row is
    errors = refused(run_import(importer, tmp_path, "a.csv", "姓名,性别\n张三,男\n".encode()))
    assert errors[0][:2] == (1, "customer_number")
    assert "外部编号" in errors[0][2]
    assert "证件号码" in errors[0][2]
    # no known column at all
    errors = refused(run_import(importer, tmp_path, "b.csv", b"foo,bar\n1,2\n"))
    assert "None of the column names is known" in errors[0][2]
    # a dataset mapping names every missing column
    errors = refused(
        run_import(
            importer, tmp_path, "c.csv", b"age;job\n30;admin.\n", mapping="uci-bank-marketing"
        )
    )
    missing = {field for _line, field, _m in errors}
    assert {"marital", "education", "duration"} <= missing


@pytest.mark.parametrize("size", [MAX_CELL_CHARS + 1, 50_000, MEGABYTE])
def test_a_huge_cell_is_named_by_row_and_column_and_not_echoed(importer, tmp_path, size):
    # given a valid row, then a row whose name is `size` characters long
    text = HEADER + ROW + f"BIG-1,{'张' * size},男,\n" + "GOOD-4,李四,女,\n"
    before = counts()
    # when imported, even with "import the valid rows"
    result = run_import(importer, tmp_path, "a.csv", text.encode(), valid_only=True)
    # then the row and the column are named, the value is not repeated
    bad = [(e.line, e.field, e.message) for e in result.errors]
    assert bad[0][:2] == (3, "姓名")
    assert str(MAX_CELL_CHARS) in bad[0][2].replace(",", "")
    assert len(bad[0][2]) < 200
    if size > 128 * 1024:
        # beyond the csv module's own limit the rest of the file is unread: nothing written
        assert result.rejected
        assert counts() == before


def test_a_huge_cell_in_an_xlsx_is_named(importer, tmp_path):
    content = xlsx_bytes([["外部编号", "姓名"], ["A-1", "张三"], ["A-2", "李" * MEGABYTE]])
    before = counts()
    errors = refused(run_import(importer, tmp_path, "a.xlsx", content))
    assert errors[0][:2] == (3, "姓名")
    assert counts() == before


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(importer, tmp_path):
    content = zip_bomb()
    assert len(content) < MEGABYTE
    before = counts()
    errors = refused(run_import(importer, tmp_path, "bomb.xlsx", content))
    assert "zip bomb" in errors[0][2]
    assert counts() == before


def test_a_damaged_xlsx_is_refused_and_nothing_is_written(importer, tmp_path):
    before = counts()
    result = run_import(importer, tmp_path, "a.xlsx", damaged_xlsx(), valid_only=True)
    errors = refused(result)
    assert any("damaged" in m for _l, _f, m in errors)
    assert counts() == before


# --- the call-list upload ----------------------------------------------------------------------


@pytest.fixture
def boss():
    return f.supervisor(name="周主管")


@pytest.fixture
def camp(boss):
    return f.campaign(boss, agents=[f.agent()])


def upload(boss, camp, name: str, content: bytes):
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        lists.entries_add_from_file(actor=boss, campaign_id=camp.pk, name=name, content=content)
    assert counts() == before
    return exc.value.errors["file"]


def test_call_list_reads_gbk_and_refuses_undecodable_text(boss, camp):
    a = f.customer("欧阳娜娜")
    result = lists.entries_add_from_file(
        actor=boss,
        campaign_id=camp.pk,
        name="名单.csv",
        content=f"客户号\n{a.number}\n".encode("gbk"),
    )
    assert result.added == 1
    messages = upload(boss, camp, "b.csv", b"customer number\n\x80\xff\n")
    assert "UTF-8" in messages[0]
    assert "GB18030" in messages[0]
    assert "line 2" in messages[0]
    messages = upload(boss, camp, "c.csv", b"\x00\x01\x02binary")
    assert "NUL" in messages[0]


@pytest.mark.parametrize("size", [MAX_CELL_CHARS + 1, MEGABYTE])
def test_call_list_names_the_row_and_column_of_a_huge_cell(boss, camp, size):
    a = f.customer("甲")
    content = f"客户号,手机\n{a.number},\nC1,{'1' * size}\n".encode()
    messages = upload(boss, camp, "a.csv", content)
    assert messages[0].startswith("row 3, column “手机”")
    assert len(messages[0]) < 200


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("a.csv", b"", "客户号"),
        ("a.csv", "客户号,手机\n".encode(), "no customers"),
        ("a.csv", "姓名\n张三\n".encode(), "客户号"),
        ("a.xlsx", b"", "not a readable XLSX"),
        ("a.xlsx", b"PK\x03\x04 nope", "not a readable XLSX"),
        ("a.xlsx", zip_bomb(), "zip bomb"),
        ("a.xlsx", damaged_xlsx(), "damaged"),
        ("a.xlsx", xlsx_bytes([["客户号"], ["C1", "x" * MEGABYTE]]), "row 2, column"),
    ],
    ids=[
        "empty",
        "header-only",
        "missing-column",
        "empty-xlsx",
        "broken-zip",
        "zip-bomb",
        "damaged",
        "huge-xlsx-cell",
    ],
)
def test_call_list_refuses_malformed_files(boss, camp, name, content, words):
    messages = upload(boss, camp, name, content)
    assert words in messages[0]


# --- the call centre's history -----------------------------------------------------------------


def history(tmp_path, content: bytes):
    path = tmp_path / "calls.txt"
    path.write_bytes(content)
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        import_inbound_history(path)
    assert counts() == before
    return exc.value.errors["file"]


def test_history_refuses_malformed_files_naming_the_line(tmp_path):
    header = "\t".join(COLUMNS) + "\n"
    assert "no calls" in history(tmp_path, b"")[0]
    assert "no calls" in history(tmp_path, header.encode())[0]
    messages = history(tmp_path, b"vru+line\tcall_id\n")
    assert "missing" in messages[1]
    assert "priority" in messages[1]
    messages = history(tmp_path, header.encode() + b"\x80\xff\t1\n")
    assert "line 2" in messages[0]
    assert "GB18030" in messages[0]
    cells = ["x"] * len(COLUMNS)
    cells[3] = "y" * MEGABYTE
    messages = history(tmp_path, (header + "\t".join(cells) + "\n").encode())
    assert messages[0].startswith(f"Line 2, column “{COLUMNS[3]}”")
    assert len(messages[0]) < 200
    cells[3] = "y" * (MAX_CELL_CHARS + 1)
    messages = history(tmp_path, (header + "\t".join(cells) + "\n").encode())
    assert messages[0].startswith(f"Line 2, column “{COLUMNS[3]}”")
    assert len(messages[0]) < 200
