import datetime

import pytest

from servicefirst.customers import fields
from servicefirst.customers.tests.factories import resident_id


@pytest.mark.parametrize(
    "raw",
    [
        "138 0013 8000",
        "+86-13800138000",
        "(+86) 138-0013-8000",
        "8613800138000",
        "+86 138 0013 8000",
    ],
)
def test_phones_in_any_format_are_stored_e164(raw):
    assert fields.normalise_phone(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["12345", "138001380", "abc", ""])
def test_bad_phones_are_rejected(raw):
    with pytest.raises(ValueError, match=r"."):
        fields.normalise_phone(raw)


def test_resident_id_checksum():
    good = resident_id(datetime.date(1980, 5, 17))
    assert fields.validate_resident_id(good.lower()) == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValueError, match="check digit"):
        fields.validate_resident_id(bad)
    with pytest.raises(ValueError, match="birth date"):
        fields.validate_resident_id("110105198002301234")


def test_masks():
    assert fields.mask_phone("+8613800138000") == "138****8000"
    assert fields.mask_id("1234") == "**************1234"
    assert fields.mask_email("zhang@example.com") == "z***@example.com"


def test_encryption_round_trip_and_keyed_hash_is_stable():
    token = fields.encrypt("110105198005171234")
    assert "110105" not in token
    assert fields.decrypt(token) == "110105198005171234"
    assert fields.keyed_hash("110105198005171234") == fields.keyed_hash(" 110105198005171234 ")
