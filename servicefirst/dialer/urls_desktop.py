"""The agent desktop, the supervisors' board and click-to-dial (mounted under /contact/,
namespace "dialer")."""

from django.urls import path

from servicefirst.dialer import views_agent, views_board, views_dial

urlpatterns: list = [
    path("agent/", views_agent.agent, name="agent"),
    path("agent/desk/", views_agent.agent_desk, name="agent_desk"),
    path("agent/login/", views_agent.login, name="agent_login"),
    path("agent/status/", views_agent.status, name="agent_status"),
    path("agent/preview/next/", views_agent.preview_next, name="preview_next"),
    path("agent/preview/<int:entry_id>/dial/", views_agent.preview_dial, name="preview_dial"),
    path("agent/preview/<int:entry_id>/skip/", views_agent.preview_skip, name="preview_skip"),
    path(
        "agent/callbacks/<int:callback_id>/dial/",
        views_agent.callback_dial,
        name="callback_dial",
    ),
    path("agent/calls/<int:call_id>/close/", views_agent.call_close, name="call_close"),
    path("agent/calls/<int:call_id>/offer/", views_agent.call_offer, name="call_offer"),
    path("agent/calls/<int:call_id>/hangup/", views_agent.call_hangup, name="call_hangup"),
    path("board/", views_board.board_page, name="board"),
    path("board/live/", views_board.board_live, name="board_live"),
    path("dial/", views_dial.dial, name="dial"),
    path("dial/<int:call_id>/", views_dial.dial_status, name="dial_status"),
]
