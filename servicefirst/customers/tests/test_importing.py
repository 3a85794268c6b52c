import datetime
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from servicefirst.accounts.models import Role
from servicefirst.accounts.tests.factories import UnitFactory, make_staff
from servicefirst.core.errors import PermissionDenied
from servicefirst.core.models import AuditEvent
from servicefirst.customers import fields as f
from servicefirst.customers.importing import import_customers, import_job_progress
from servicefirst.customers.models import (
    Campaign,
    Customer,
    CustomerPhone,
    Holding,
    ImportJob,
    Interaction,
)
from servicefirst.customers.tests.factories import make_customer, resident_id

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
# The UCI file ships in the repository (datasets/); the churn files' first rows are fixtures.
DATASETS = settings.DATASETS_DIR
CHURN = DATA / "churn"
GOOD = DATA / "customers_good.csv"
BAD = DATA / "customers_bad.csv"


def errors_of(result):
    return {(e.line, e.field) for e in result.errors}


def slice_of(source: Path, tmp_path: Path, rows: int = 50) -> Path:
    """The header and the first `rows` data rows of a dataset file, bytes unchanged."""
    target = tmp_path / source.name
    with open(source, "rb") as src, open(target, "wb") as out:
        for _n, line in zip(range(rows + 1), src, strict=False):
            out.write(line)
    return target


def test_good_file_creates_customers_with_phones_and_encrypted_ids():
    result = import_customers(actor=None, path=GOOD)
    assert (result.created, result.updated, result.unchanged, result.errors) == (3, 0, 0, [])
    assert not result.rejected
    assert result.total_rows == 3
    zhang = Customer.objects.get(source="import", source_key="EXT-001")
    assert zhang.name_zh == "张三丰"
    assert zhang.pinyin_initials == "zsf"
    assert zhang.value_tier == "affluent"
    assert zhang.interests == ["golf", "travel"]
    assert list(zhang.phones.values_list("e164", "is_primary")) == [
        ("+8613800138000", True),
        ("+8613900139000", False),
    ]
    assert zhang.id_number_hash == f.keyed_hash(resident_id(datetime.date(1980, 5, 17), 123))
    assert "110105" not in zhang.id_number_encrypted
    assert Customer.objects.get(source_key="EXT-002").do_not_call is True
    # the gender of a row without one comes from the identity number
    assert Customer.objects.get(source_key="EXT-003").gender == "M"


def test_bad_rows_are_reported_by_line_field_and_reason_and_nothing_is_written():
    result = import_customers(actor=None, path=BAD)
    assert result.rejected
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert errors_of(result) == {
        (3, "phones"),
        (4, "id_number"),
        (5, "name_zh"),
        (6, "email"),
        (6, "value_tier"),
        (7, "customer_number"),
    }
    assert all(e.message for e in result.errors)
    assert Customer.objects.count() == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.actor_username == "system"
    assert event.detail["rejected"] is True
    assert event.detail["bad_rows"] == 5


def test_valid_only_imports_the_good_rows_and_reports_the_bad():
    result = import_customers(actor=None, path=BAD, valid_only=True)
    assert not result.rejected
    assert result.created == 1
    assert {e.line for e in result.errors} == {3, 4, 5, 6, 7}
    assert list(Customer.objects.values_list("source_key", flat=True)) == ["EXT-101"]


def test_rerunning_the_same_file_changes_nothing():
    import_customers(actor=None, path=GOOD)
    before = {c.pk: c.updated_at for c in Customer.objects.all()}
    phones_before = list(CustomerPhone.objects.order_by("pk").values_list("pk", "e164"))
    result = import_customers(actor=None, path=GOOD)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert {c.pk: c.updated_at for c in Customer.objects.all()} == before
    assert list(CustomerPhone.objects.order_by("pk").values_list("pk", "e164")) == phones_before


def test_a_changed_row_is_updated(tmp_path):
    import_customers(actor=None, path=GOOD)
    changed = tmp_path / "changed.csv"
    changed.write_text(
        GOOD.read_text(encoding="utf-8").replace("zhang@example.com", "zsf@example.com"),
        encoding="utf-8",
    )
    before = Customer.objects.get(source_key="EXT-002").updated_at
    result = import_customers(actor=None, path=changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Customer.objects.get(source_key="EXT-001").email == "zsf@example.com"
    assert Customer.objects.get(source_key="EXT-002").updated_at == before


def test_gbk_file_with_chinese_headers(tmp_path):
    number = resident_id(datetime.date(1988, 8, 8), 321)
    text = (
        "外部编号;姓名;性别;手机;证件号码;婚姻状况;客户等级;勿电联\n"
        f"G-1;欧阳娜娜;女;13800138000;{number};married;wealth;是\n"
        "G-2;陈一;男;139 0013 9000;;single;mass;否\n"
    )
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gbk"))
    result = import_customers(actor=None, path=path)
    assert result.errors == []
    assert result.created == 2
    c = Customer.objects.get(source_key="G-1")
    assert (c.name_zh, c.gender, c.value_tier, c.do_not_call) == ("欧阳娜娜", "F", "wealth", True)
    assert c.pinyin_full == "ouyangnana"


def test_gbk_file_reports_chinese_column_names(tmp_path):
    path = tmp_path / "gbk-bad.csv"
    path.write_bytes("外部编号,姓名,手机\nG-1,陈二,12345\n".encode("gb18030"))
    result = import_customers(actor=None, path=path)
    assert errors_of(result) == {(2, "手机")}


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    result = import_customers(actor=None, path=path)
    assert result.errors == []
    assert result.created == 3


def test_xlsx(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["客户号", "external_id", "姓名", "出生日期", "手机", "邮编"])
    sheet.append([None, "X-1", "刘备", datetime.date(1961, 7, 16), 13800138000, 100000])
    sheet.append([None, "X-2", "关羽", "1962/3/1", "bad phone", 100001])
    path = tmp_path / "customers.xlsx"
    workbook.save(path)
    result = import_customers(actor=None, path=path)
    assert errors_of(result) == {(3, "手机")}
    result = import_customers(actor=None, path=path, valid_only=True)
    liu = Customer.objects.get(source_key="X-1")
    assert liu.birth_date == datetime.date(1961, 7, 16)
    assert liu.postal_code == "100000"
    assert liu.phones.get().e164 == "+8613800138000"


def test_customer_number_must_exist_and_updates_that_customer(tmp_path):
    existing = make_customer(name_zh="张三")
    path = tmp_path / "numbers.csv"
    path.write_text(
        f"customer_number,occupation\n{existing.number},律师\nC9999999999,医生\n", encoding="utf-8"
    )
    result = import_customers(actor=None, path=path, valid_only=True)
    assert errors_of(result) == {(3, "customer_number")}
    assert result.updated == 1
    existing.refresh_from_db()
    assert existing.occupation == "律师"
    assert existing.name_zh == "张三"


def test_identity_number_is_the_key_when_there_is_no_other(tmp_path):
    number = resident_id(datetime.date(1970, 1, 1), 111)
    existing = make_customer(name_zh="张三", id_number=number)
    path = tmp_path / "ids.csv"
    path.write_text(f"证件号码,姓名,职业\n{number},张三,会计\n", encoding="utf-8")
    result = import_customers(actor=None, path=path)
    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.occupation == "会计"


def test_references_duplicates_and_identity_clashes(tmp_path):
    branch = UnitFactory(code="bj01")
    rm = make_staff(Role.RELATIONSHIP_MANAGER, unit=branch)
    number = resident_id(datetime.date(1970, 1, 1), 111)
    make_customer(name_zh="别人", id_number=number)
    path = tmp_path / "refs.csv"
    path.write_text(
        "external_id,name_zh,home_branch,relationship_manager,id_number\n"
        f"R-1,甲,bj01,{rm.employee_number},\n"
        "R-2,乙,nowhere,,\n"
        "R-3,丙,,E999999,\n"
        "R-1,丁,,,\n"
        f"R-4,戊,,,{number}\n",
        encoding="utf-8",
    )
    result = import_customers(actor=None, path=path, valid_only=True)
    assert errors_of(result) == {
        (3, "home_branch"),
        (4, "relationship_manager"),
        (5, "external_id"),
        (6, "id_number"),
    }
    r1 = Customer.objects.get(source_key="R-1")
    assert r1.home_branch_id == branch.pk
    assert r1.relationship_manager_id == rm.pk


def test_unknown_headers_and_empty_file_are_rejected(tmp_path):
    path = tmp_path / "unknown.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    assert import_customers(actor=None, path=path).rejected
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = import_customers(actor=None, path=empty)
    assert result.rejected
    assert result.errors[0].line == 1
    other = tmp_path / "x.pdf"
    other.write_text("%PDF", encoding="utf-8")
    assert import_customers(actor=None, path=other).errors[0].field == "file"


def test_staff_without_import_permission_is_refused():
    teller = make_staff(Role.TELLER).user
    with pytest.raises(PermissionDenied):
        import_customers(actor=teller, path=GOOD)
    analyst = make_staff(Role.MARKETING_ANALYST).user
    assert import_customers(actor=analyst, path=GOOD).created == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.actor_id == analyst.pk
    assert event.detail["file"] == "customers_good.csv"
    assert event.detail["created"] == 3


def test_progress_is_reported(settings):
    settings.IMPORT_BATCH_SIZE = 1
    calls = []
    import_customers(
        actor=None, path=GOOD, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (3, 3)
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)


def test_job_records_progress_and_resumes_after_a_crash(settings, tmp_path):
    settings.IMPORT_BATCH_SIZE = 1
    path = tmp_path / "good.csv"
    shutil.copy(GOOD, path)
    job = ImportJob.objects.create(file_name="good.csv", file_path=str(path), mapping="customers")

    def crash_after_first_batch(done, total):
        if ImportJob.objects.get(pk=job.pk).processed_rows == 1:
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        import_customers(actor=None, path=path, job=job, progress=crash_after_first_batch)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.processed_rows == 1
    assert job.result["created"] == 1
    assert Customer.objects.count() == 1

    result = import_customers(actor=None, path=path, job=job)
    assert (result.created, result.unchanged) == (3, 0)
    assert Customer.objects.count() == 3
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert import_job_progress(job) == 100
    assert job.result["created"] == 3
    assert job.total_rows == 3


def test_uci_bank_marketing_slice(tmp_path):
    path = slice_of(DATASETS / "bank-marketing" / "bank-additional-train.csv", tmp_path)
    result = import_customers(actor=None, path=path, mapping="uci-bank-marketing")
    assert result.errors == []
    assert result.created == 50
    first = Customer.objects.get(source="uci-bank-marketing", source_key="1")
    assert first.name_latin == "UCI client 000001"
    assert first.occupation == "housemaid"
    assert first.marital_status == "married"
    assert first.birth_date == datetime.date(2008 - 56, 7, 1)
    contact = Interaction.objects.get(customer=first)
    assert contact.kind == Interaction.Kind.CAMPAIGN_CALL
    assert contact.campaign == Campaign.objects.get(code="uci-term-deposit")
    assert contact.outcome == "no"
    assert contact.detail["month"] == "may"
    assert contact.detail["day_of_week"] == "mon"
    assert contact.detail["contact"] == "telephone"
    assert contact.detail["pdays"] is None
    assert contact.detail["poutcome"] == "nonexistent"
    assert contact.detail["duration"] == 261
    assert contact.occurred_at.date() == datetime.date(2008, 5, 5)  # first Monday of May 2008
    assert Interaction.objects.count() == 50

    again = import_customers(actor=None, path=path, mapping="uci-bank-marketing")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 50)
    assert Interaction.objects.count() == 50


def test_uci_bad_values_name_the_column(tmp_path):
    path = slice_of(DATASETS / "bank-marketing" / "bank-additional-train.csv", tmp_path, 3)
    text = path.read_bytes().replace(b'56;"housemaid"', b'abc;"housemaid"', 1)
    path.write_bytes(text.replace(b'"telephone";"may"', b'"pigeon";"may"', 1))
    result = import_customers(actor=None, path=path, mapping="uci-bank-marketing")
    assert errors_of(result) == {(2, "age"), (2, "contact")}
    assert result.rejected
    assert Customer.objects.count() == 0


def test_churn_modelling_slice(tmp_path):
    path = slice_of(CHURN / "Churn_Modelling.csv", tmp_path)
    result = import_customers(actor=None, path=path, mapping="churn-modelling")
    assert result.errors == []
    assert result.created == 50
    first = Customer.objects.get(source="churn-modelling", source_key="15634602")
    assert first.name_latin == "Hargrave"
    assert first.gender == "F"
    assert first.lifecycle == "former"
    assert first.preferred_language == "fr"
    holdings = {h.product.code: h for h in first.holdings.all()}
    assert set(holdings) == {"churn-savings", "churn-credit-card"}
    assert holdings["churn-savings"].status == "closed"
    second = Customer.objects.get(source_key="15647311")
    savings = second.holdings.get(product__code="churn-savings")
    assert str(savings.balance) == "653701.31"  # 83,807.86 EUR × 7.8
    again = import_customers(actor=None, path=path, mapping="churn-modelling")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 50)


def test_bank_churners_slice(tmp_path):
    path = slice_of(CHURN / "BankChurners.csv", tmp_path)
    result = import_customers(actor=None, path=path, mapping="bank-churners")
    assert result.errors == []
    assert result.created == 50
    first = Customer.objects.get(source="bank-churners", source_key="768805383")
    assert first.name_latin == "Card client 768805383"
    assert (first.gender, first.dependents, first.marital_status) == ("M", 3, "married")
    assert first.lifecycle == "current"
    assert first.income_band == "300k-1m"
    card = Holding.objects.get(customer=first)
    assert card.product.code == "card-blue"
    assert str(card.balance) == "5516.70"
    again = import_customers(actor=None, path=path, mapping="bank-churners")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 50)


def test_rows_spooled_to_disk_are_written_in_order(settings, monkeypatch, tmp_path):
    from servicefirst.customers import importing

    settings.IMPORT_BATCH_SIZE = 1
    monkeypatch.setattr(importing, "SPOOL_MEMORY_ROWS", 1)
    path = slice_of(DATASETS / "bank-marketing" / "bank-additional-train.csv", tmp_path, 5)
    result = import_customers(actor=None, path=path, mapping="uci-bank-marketing")
    assert result.created == 5
    numbers = list(Customer.objects.order_by("number").values_list("source_key", flat=True))
    assert numbers == ["1", "2", "3", "4", "5"]


def test_names_are_required_of_new_customers_only(tmp_path):
    number = resident_id(datetime.date(1970, 1, 1), 111)
    existing = make_customer(name_zh="张三", id_number=number)
    other = resident_id(datetime.date(1971, 1, 1), 112)
    path = tmp_path / "no-names.csv"
    path.write_text(f"证件号码,职业\n{number},会计\n{other},律师\n", encoding="utf-8")
    result = import_customers(actor=None, path=path, valid_only=True)
    assert errors_of(result) == {(3, "name_zh")}
    existing.refresh_from_db()
    assert existing.occupation == "会计"


def test_two_rows_for_one_existing_customer_are_refused(tmp_path):
    existing = make_customer(name_zh="张三")
    existing.source, existing.source_key = "import", "K-1"
    existing.save()
    path = tmp_path / "twice.csv"
    path.write_text(
        f"customer_number,external_id,手机\n{existing.number},,13800138000\n,K-1,13800138000\n",
        encoding="utf-8",
    )
    result = import_customers(actor=None, path=path)
    assert errors_of(result) == {(3, "customer_number")}
    assert "2" in result.errors[0].message


def test_worker_processes_give_the_same_result(settings, monkeypatch):
    from servicefirst.customers import importing

    settings.IMPORT_WORKERS = 2
    settings.IMPORT_BATCH_SIZE = 1
    monkeypatch.setattr(importing, "PARALLEL_MIN_ROWS", 0)
    result = import_customers(actor=None, path=GOOD)
    assert (result.created, result.errors) == (3, [])
    zhang = Customer.objects.get(source_key="EXT-001")
    assert zhang.pinyin_initials == "zsf"
    assert zhang.id_number_hash == f.keyed_hash(resident_id(datetime.date(1980, 5, 17), 123))
    assert f.decrypt(zhang.id_number_encrypted) == resident_id(datetime.date(1980, 5, 17), 123)
    bad = import_customers(actor=None, path=BAD)
    assert {e.line for e in bad.errors} == {3, 4, 5, 6, 7}
    again = import_customers(actor=None, path=GOOD)
    assert (again.created, again.unchanged) == (0, 3)


def test_uci_changed_outcome_updates_the_contact(tmp_path):
    path = slice_of(DATASETS / "bank-marketing" / "bank-additional-train.csv", tmp_path, 3)
    import_customers(actor=None, path=path, mapping="uci-bank-marketing")
    lines = path.read_bytes().split(b"\r\n")
    lines[1] = lines[1][: lines[1].rindex(b";")] + b';"yes"'
    path.write_bytes(b"\r\n".join(lines))
    result = import_customers(actor=None, path=path, mapping="uci-bank-marketing")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    contact = Interaction.objects.get(source_key="1")
    assert contact.outcome == "yes"
    assert Interaction.objects.count() == 3
    first = Customer.objects.get(source="uci-bank-marketing", source_key="1")
    assert first.holdings.filter(product__code="uci-term-deposit").count() == 1
