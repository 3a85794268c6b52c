"""The report's tables as plain values — the page shows them and the CSV and XLSX exports
write them, so an export holds exactly what the manager saw. Times are in minutes with one
decimal, shares in percent; None means "no figure" (no waits that day)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from servicefirst.reports.selectors import BranchReport, Figures


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list]
    footer: list | None = None  # the totals row


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _day_cells(f: Figures, lobby: bool) -> list:
    cells = [
        f.tickets,
        f.served,
        f.no_shows,
        minutes(f.mean_wait_s),
        minutes(f.p90_wait_s),
        percent(f.within_commitment),
        f.vip_tickets,
        minutes(f.vip_mean_wait_s),
        f.prompts_raised,
        f.prompts_done,
    ]
    if lobby:
        cells += [f.walk_ins, f.prospects, f.handoffs]
    return cells


def day_table(report: BranchReport) -> Table:
    headers = [
        _("Day"),
        _("Tickets"),
        _("Served"),
        _("No-shows"),
        _("Mean wait (min)"),
        _("90th percentile wait (min)"),
        _("Within %(minutes)s min (%%)") % {"minutes": report.commitment_minutes},
        _("VIP tickets"),
        _("VIP mean wait (min)"),
        _("Care prompts raised"),
        _("Care prompts done"),
    ]
    if report.lobby:
        headers += [_("Walk-ins"), _("Prospects"), _("Hand-offs")]
    rows = [[f.day.isoformat(), *_day_cells(f, report.lobby)] for f in report.days]
    return Table(
        key="days",
        title=_("Per day"),
        headers=headers,
        rows=rows,
        footer=[_("Total"), *_day_cells(report.total, report.lobby)],
    )


def service_table(report: BranchReport) -> Table:
    return Table(
        key="services",
        title=_("Per service"),
        headers=[
            _("Service"),
            _("Tickets"),
            _("Served"),
            _("Mean wait (min)"),
            _("Mean service time (min)"),
            _("90th percentile service time (min)"),
        ],
        rows=[
            [
                str(s.service),
                s.tickets,
                s.served,
                minutes(s.mean_wait_s),
                minutes(s.mean_service_s),
                minutes(s.p90_service_s),
            ]
            for s in report.services
        ],
    )


def report_tables(report: BranchReport) -> list[Table]:
    return [day_table(report), service_table(report)]
