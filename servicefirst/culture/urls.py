from django.urls import path

from servicefirst.culture import views

app_name = "culture"
urlpatterns = [
    path("", views.home, name="home"),
    # Managers: questionnaires, assignments, candidates, results, the completion report.
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/new/", views.questionnaire_edit, name="questionnaire_new"),
    path(
        "questionnaires/<int:questionnaire_id>/",
        views.questionnaire_edit,
        name="questionnaire_edit",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/questions/new/",
        views.question_edit,
        name="question_new",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/questions/<int:question_id>/",
        views.question_edit,
        name="question_edit",
    ),
    path("questions/<int:question_id>/delete/", views.question_delete, name="question_delete"),
    path("questionnaires/<int:questionnaire_id>/assign/", views.assign, name="assign"),
    path(
        "assignments/<int:assignment_id>/delete/",
        views.assignment_delete,
        name="assignment_delete",
    ),
    path("questionnaires/<int:questionnaire_id>/invite/", views.invite, name="invite"),
    path("results/", views.results, name="results"),
    path("results/<int:response_id>/", views.result_detail, name="result_detail"),
    path("results/<int:response_id>/renew/", views.candidate_renew, name="candidate_renew"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
    # Every member of staff: training and the commitments of their unit.
    path("training/", views.training, name="training"),
    path("training/<int:questionnaire_id>/take/", views.take, name="take"),
    path("responses/<int:response_id>/", views.my_response, name="my_response"),
    path("commitments/", views.my_commitments, name="my_commitments"),
    path("commitments/<int:version_id>/confirm/", views.confirm, name="confirm"),
    path("commitments/confirm-all/", views.confirm_all, name="confirm_all"),
    # Candidates (no login): the one-time link.
    path("apply/done/", views.candidate_done, name="candidate_done"),
    path("apply/<str:token>/", views.candidate, name="candidate"),
]
