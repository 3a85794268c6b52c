from django.urls import path

from servicefirst.remedies import views

app_name = "remedies"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:remedy_id>/", views.detail, name="detail"),
    path("<int:remedy_id>/reason/", views.reason, name="reason"),
    path("<int:remedy_id>/apologise/", views.apologise, name="apologise"),
    path("<int:remedy_id>/gift/", views.gift, name="gift"),
    path("<int:remedy_id>/close/", views.close, name="close"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:grant_id>/", views.decide, name="decide"),
    path("gifts/", views.gifts, name="gifts"),
    path("gifts/stock/", views.stock_add, name="stock_add"),
    path("gifts/budget/", views.budget_set, name="budget_set"),
    path("report/", views.report, name="report"),
]
