"""The supervisors' live board (/contact/board/): every agent and campaign, the inbound queue
and the dialer's heartbeat. One fragment (#board-live) refreshes itself when the board's
websocket says something changed (and every 30 s without it)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from servicefirst.core.errors import PermissionDenied
from servicefirst.dialer import board


def _context(request) -> dict:
    try:
        state = board.board_state(actor=request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    return {"board": state}


@login_required
@require_GET
def board_page(request):
    return render(request, "dialer/board.html", _context(request))


@login_required
@require_GET
def board_live(request):
    return render(request, "dialer/board_live.html", _context(request))
