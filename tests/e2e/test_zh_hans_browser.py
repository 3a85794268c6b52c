"""Browser: the pages the browser tests visit, in Simplified Chinese, carry no untranslated
English interface text. Two checks: a list of known labels, and every msgid of the catalogue
that shows up as a whole word in the visible text (or a placeholder/title) of the page."""

import gettext
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import servicefirst

pytestmark = pytest.mark.browser

PO = Path(servicefirst.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# The visible text of the page plus placeholders, titles and labels for assistive technology;
# the language switcher and the customer's language list are left out (each language is
# named in itself there).
VISIBLE_TEXT_JS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('#language-form, select[name=preferred_language], script, style').forEach(n => n.remove());
  document.body.appendChild(body);
  body.style.position = 'absolute'; body.style.left = '-99999px';
  let text = body.innerText;
  body.remove();
  const extra = [];
  document.querySelectorAll('[placeholder],[title],[aria-label]').forEach(el => {
    if (el.closest('#language-form')) return;
    for (const a of ['placeholder', 'title', 'aria-label']) {
      if (el.getAttribute(a)) extra.push(el.getAttribute(a));
    }
  });
  return text + '\\n' + extra.join('\\n');
}"""


def catalogue() -> dict[str, str]:
    """msgid → msgstr from the .po (plural ids map to their first form). Handles strings
    wrapped over several lines."""
    entries: dict[str, str] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[0\])?|msgstr\[\d+\]) (".*")$', line)
            if match:
                key = match.group(1).replace("[0]", "")
                fields[key] = json.loads(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += json.loads(line)
        if fields.get("msgid"):
            entries[fields["msgid"]] = fields.get("msgstr", "")
    return entries


def untranslated(text: str, entries: dict[str, str]) -> list[str]:
    found = []
    for msgid, msgstr in entries.items():
        if "%(" in msgid or len(msgid) < 4 or not re.search(r"[A-Za-z]{3}", msgid):
            continue
        if msgid in msgstr:  # e.g. the product name, kept in the translation on purpose
            continue
        if re.search(rf"(?<![A-Za-z]){re.escape(msgid)}(?![A-Za-z])", text):
            found.append(msgid)
    return found


def test_catalogue_is_complete_and_compiled():
    entries = catalogue()
    assert len(entries) > 300
    assert [m for m, s in entries.items() if not s] == []
    # a fuzzy entry is left out of the compiled catalogue, so it would show in English
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8").split("\n\n", 1)[1]
    # the committed .mo (installs need no gettext) holds every msgid of the .po
    with PO.with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    singular = {(k if isinstance(k, str) else k[0]).split("\x04")[-1] for k in compiled}
    assert [m for m in entries if m not in singular] == []


def test_pages_have_no_english_left_in_chinese(page, live_server, e2e_customers, login):
    entries = catalogue()
    zhang = e2e_customers["张三丰"]
    login(page, "branch_manager")
    # the staff record says English; the switcher (a cookie) wins over it
    page.select_option("#language-form select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    def check(url, ready):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_selector(ready)
        text = page.evaluate(VISIBLE_TEXT_JS)
        assert untranslated(text, entries) == [], url
        return text

    home = check("/", "#my-tasks")
    assert "查找客户" in home
    assert "退出" in home
    search = check("/customers/?q=zsf", "#results-table")
    for english, chinese in (("Customer number", "客户号"), ("Home branch", "归属网点")):
        assert english not in search
        assert chinese in search
    page.goto(f"{live_server.url}/customers/{zhang.pk}/")
    page.locator("#section-contact button[hx-get*='edit=1']").click()
    page.locator("#section-contact input[name=phones]").fill("12345")
    page.locator("#section-contact button[type=submit]").click()
    expect(page.locator("#section-contact .field-error")).to_contain_text("电话")
    text = page.evaluate(VISIBLE_TEXT_JS)
    assert untranslated(text, entries) == []
    for english, chinese in (
        ("Identity", "身份信息"),
        ("Holdings", "持有产品"),
        ("Timeline", "客户接触记录"),
        ("Consents", "授权"),
        ("Household", "家庭成员"),
        ("Open tasks", "待办事项"),
        ("Show", "显示"),
        ("is not a valid phone number", "不是有效的电话号码"),
    ):
        assert english not in text, english
        assert chinese in text, chinese
    page.locator("#id_number-value button.reveal").click()
    expect(page.locator("#id_number-value.revealed")).to_contain_text("已显示")

    page.goto(f"{live_server.url}/")
    page.locator("#who ~ form button[type=submit]").click()
    login(page, "compliance_auditor")
    audit = check("/audit/", "#audit-table")
    for english, chinese in (
        ("Opened customer 360", "查看客户全景"),
        ("Revealed masked field", "查看脱敏信息"),
        ("All actions", "全部操作"),
    ):
        assert english not in audit, english
        assert chinese in audit, chinese
