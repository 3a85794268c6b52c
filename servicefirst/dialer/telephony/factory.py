"""The telephony adapter the settings ask for.

settings.TELEPHONY = {
    "ADAPTER": "simulator" | "sip" | "ami",
    # options of the chosen adapter, flat (upper- or lower-case constructor keywords), and/or
    # per adapter under "SIMULATOR", "SIP", "AMI" (only the chosen one's block is used):
    "SIMULATOR": {"TIME_SCALE": 1.0, ...},
    "SIP": {"URI_TEMPLATE": "sip:{number}@pbx.example:5060", ...},
    "AMI": {"HOST": "127.0.0.1", "USERNAME": "servicefirst", "SECRET": "...", ...},
}
Empty values ("" or None) in the settings fall back to the adapter's defaults, so a settings
block can read every option from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from .port import Telephony

ADAPTERS = ("simulator", "sip", "ami")


def telephony_options(settings_dict: Mapping | None = None) -> tuple[str, dict]:
    """(adapter name, constructor keywords) from a TELEPHONY-style mapping."""
    if settings_dict is None:
        from django.conf import settings

        settings_dict = getattr(settings, "TELEPHONY", None) or {}
    adapter = str(settings_dict.get("ADAPTER") or "simulator").strip().lower()
    if adapter not in ADAPTERS:
        raise ImproperlyConfigured(
            f"TELEPHONY['ADAPTER'] is {adapter!r}; expected one of {', '.join(ADAPTERS)}."
        )
    options: dict = {}
    blocks = {name.upper() for name in ADAPTERS}
    for key, value in settings_dict.items():
        if key == "ADAPTER" or key in blocks:
            continue
        options[str(key).lower()] = value
    for key, value in (settings_dict.get(adapter.upper()) or {}).items():
        options[str(key).lower()] = value
    return adapter, {k: v for k, v in options.items() if v is not None and v != ""}


def get_telephony(settings_dict: Mapping | None = None) -> Telephony:
    """A new, not yet started adapter as settings.TELEPHONY (or `settings_dict`) describes it."""
    adapter, options = telephony_options(settings_dict)
    if adapter == "simulator":
        from .simulator import SimulatorTelephony as cls
    elif adapter == "sip":
        from .sip import SipTelephony as cls
    else:
        from .ami import AmiTelephony as cls
    try:
        return cls(**options)
    except TypeError as exc:
        raise ImproperlyConfigured(f"TELEPHONY options for {adapter}: {exc}") from exc
    except ValueError as exc:
        raise ImproperlyConfigured(f"TELEPHONY options for {adapter}: {exc}") from exc
