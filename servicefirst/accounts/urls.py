from django.contrib.auth import views as auth_views
from django.urls import path

from servicefirst.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/two-factor/setup/", views.otp_setup, name="otp_setup"),
    path("account/two-factor/verify/", views.otp_verify, name="otp_verify"),
    path("account/two-factor/remove/", views.otp_remove, name="otp_remove"),
]
