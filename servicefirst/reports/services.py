"""Exports of the branch report: the page's tables as CSV or XLSX. The figures are aggregates
with no personal data; the export is still recorded in the audit log, like every export."""

import datetime
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from servicefirst.core.errors import ValidationFailed
from servicefirst.core.exports import safe_csv_writer, safe_xlsx_row
from servicefirst.core.models import AuditEvent
from servicefirst.core.services import audit_record
from servicefirst.reports.selectors import branch_report
from servicefirst.reports.tables import Table, report_tables

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Export:
    filename: str
    content_type: str
    content: bytes


def _csv(tables: list[Table], heading: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer)
    writer.writerow(heading)
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in [*table.rows, *([table.footer] if table.footer else [])]:
            writer.writerow(["" if cell is None else cell for cell in row])
    # With a byte-order mark, spreadsheet programs read the Chinese headers as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(tables: list[Table], heading: list[str]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.append(safe_xlsx_row(heading))
        sheet["A1"].font = bold
        sheet.append([])
        sheet.append(safe_xlsx_row(table.headers))
        for cell in sheet[3]:
            cell.font = bold
        for row in table.rows:
            sheet.append(safe_xlsx_row(row))
        if table.footer:
            sheet.append(safe_xlsx_row(table.footer))
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        for i, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[sheet.cell(row=3, column=i).column_letter].width = max(
                10, min(len(str(header)) + 4, 32)
            )
        sheet.freeze_panes = "B4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_export(
    *, actor, branch_id: int, day_from: datetime.date, day_to: datetime.date, fmt: str
) -> Export:
    """The branch report's tables as a file; recorded in the audit log as an export."""
    if fmt not in FORMATS:
        raise ValidationFailed({"format": [_("Choose CSV or XLSX.")]})
    report = branch_report(actor=actor, branch_id=branch_id, day_from=day_from, day_to=day_to)
    tables = report_tables(report)
    heading = [
        _("Branch report"),
        str(report.branch),
        f"{day_from.isoformat()} – {day_to.isoformat()}",
        _("Commitment: %(minutes)s min") % {"minutes": report.commitment_minutes},
    ]
    content = _csv(tables, heading) if fmt == "csv" else _xlsx(tables, heading)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="branch_report",
        object_id=report.branch.pk,
        detail={
            "format": fmt,
            "from": day_from.isoformat(),
            "to": day_to.isoformat(),
            "personal_data": False,
        },
    )
    filename = f"branch-report-{report.branch.code}-{day_from:%Y%m%d}-{day_to:%Y%m%d}.{fmt}"
    return Export(filename=filename, content_type=CONTENT_TYPES[fmt], content=content)
