"""QR codes drawn on the server as inline SVG (no script, no CDN)."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(data: str, *, title: str) -> str:
    """`data` as an inline SVG QR code: black on white with the standard quiet zone, so a phone
    reads it from a counter screen whatever the page's theme. The SVG has a viewBox and no
    fixed size; the page sets its width (class "qr-code")."""
    code = segno.make(data, error="m", micro=False)
    return mark_safe(  # noqa: S308 - segno writes the SVG and escapes the title
        code.svg_inline(
            omitsize=True,
            border=4,
            dark="#000",
            light="#fff",
            title=title,
            svgclass="qr-code",
            lineclass=None,
        )
    )
