"""`servicefirst dialer`: the contact centre's dialer process (servicefirst/dialer/engine.py).

    servicefirst dialer                         # the adapter of settings.TELEPHONY
    servicefirst dialer --adapter simulator --robots --time-scale 0.1
    servicefirst dialer --for-seconds 60        # stop gracefully after a minute

Only one dialer dials at a time (a lease in the database); a second one started meanwhile
stands by and takes over when the first stops or dies. SIGTERM / SIGINT stop gracefully: no
new calls, live calls may finish (--grace seconds); a second signal stops at once.
"""

import asyncio
import json
import logging
import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from servicefirst.dialer import engine
from servicefirst.dialer.telephony.factory import ADAPTERS, get_telephony


def _option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise CommandError(f"--telephony-option wants KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip().upper(), parsed


class Command(BaseCommand):
    help = (
        "Run the dialer: pace the running campaigns, put answered calls through to agents "
        "within two seconds, route inbound calls, settle what a crashed dialer left."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--adapter", choices=ADAPTERS, help="telephony adapter (default: settings.TELEPHONY)"
        )
        parser.add_argument(
            "--for-seconds",
            type=float,
            help="stop gracefully after this many seconds (default: run until stopped)",
        )
        parser.add_argument(
            "--robots",
            action="store_true",
            help='drive the simulated agents (phone "sim:…"): they take calls and close them',
        )
        parser.add_argument(
            "--time-scale",
            type=float,
            help="simulator only: real seconds per simulated second (0.1 = ten times faster)",
        )
        parser.add_argument(
            "--grace",
            type=float,
            help="seconds live calls may take to finish when stopping (default 60)",
        )
        parser.add_argument(
            "--telephony-option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an adapter option over the settings (VALUE read as JSON when it is JSON)",
        )

    def handle(self, *args, **options):
        if options["time_scale"] is not None and options["time_scale"] <= 0:
            raise CommandError("--time-scale must be positive")
        if options["for_seconds"] is not None and options["for_seconds"] <= 0:
            raise CommandError("--for-seconds must be positive")
        telephony = get_telephony(self._telephony_settings(options))
        dialer = engine.Dialer(
            telephony,
            options=engine.Options.from_settings(
                robots=True if options["robots"] else None,
                grace_s=options["grace"],
            ),
        )
        self._logging(options["verbosity"])
        self.stdout.write(
            f"dialer: {telephony.name} adapter, time scale {dialer.scale:g}, "
            f"robots {'on' if dialer.options.robots else 'off'}"
        )
        counters = asyncio.run(self._run(dialer, options["for_seconds"]))
        summary = ", ".join(f"{k} {v}" for k, v in counters.as_dict().items())
        self.stdout.write(f"dialer: stopped ({summary})")

    def _telephony_settings(self, options) -> dict:
        base = dict(getattr(settings, "TELEPHONY", None) or {})
        if options["adapter"]:
            base["ADAPTER"] = options["adapter"]
        adapter = str(base.get("ADAPTER") or "simulator").lower()
        block = dict(base.get(adapter.upper()) or {})
        for text in options["telephony_option"]:
            key, value = _option(text)
            block[key] = value
        if options["time_scale"] is not None:
            if adapter != "simulator":
                raise CommandError("--time-scale is for the simulator only")
            block["TIME_SCALE"] = options["time_scale"]
        if adapter == "simulator" and block.get("TIME_SCALE") not in (None, ""):
            block["TIME_SCALE"] = float(block["TIME_SCALE"])
        base[adapter.upper()] = block
        return base

    def _logging(self, verbosity: int) -> None:
        logger = logging.getLogger("servicefirst.dialer")
        if verbosity <= 0:
            return
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbosity >= 3 else logging.INFO)
        logger.propagate = False

    async def _run(self, dialer: engine.Dialer, for_seconds):
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, dialer.request_stop)
        return await dialer.run(for_seconds=for_seconds)
