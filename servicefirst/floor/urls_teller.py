"""The teller's counter page."""

from django.urls import path

from servicefirst.floor import views_teller as views

urlpatterns: list = [
    path("teller/", views.teller, name="teller"),
    path("teller/waiting/", views.waiting, name="teller_waiting"),
    path("teller/sign-in/", views.sign_in, name="teller_sign_in"),
    path("teller/sign-out/", views.sign_out, name="teller_sign_out"),
    path("teller/call/", views.call, name="teller_call"),
    path("teller/pause/", views.pause, name="teller_pause"),
    path("teller/resume/", views.resume, name="teller_resume"),
    path("teller/serve/<int:ticket_id>/", views.serve, name="teller_serve"),
    path("teller/ticket/<int:ticket_id>/recall/", views.recall, name="teller_recall"),
    path("teller/ticket/<int:ticket_id>/no-show/", views.no_show, name="teller_no_show"),
    path("teller/ticket/<int:ticket_id>/transfer/", views.transfer, name="teller_transfer"),
    path("teller/ticket/<int:ticket_id>/finish/", views.finish, name="teller_finish"),
    path("teller/ticket/<int:ticket_id>/offer/", views.offer, name="teller_offer"),
]
