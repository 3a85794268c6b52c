"""Bilingual names: our models keep a Chinese and an English text side by side; the request's
language picks one."""

from django.utils.translation import get_language


def chinese_active() -> bool:
    """Whether the active language is Chinese (zh-hans and its variants)."""
    return (get_language() or "").startswith("zh")


def pick(zh: str, en: str) -> str:
    """The Chinese or the English text, by the active language."""
    return zh if chinese_active() else en
