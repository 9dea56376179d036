from django.urls import path

from accounts.views import account as views
from accounts.views import joining

app_name = "accounts"

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("settings/", views.PreferencesView.as_view(), name="settings"),
    path("usage/", views.UsageView.as_view(), name="usage"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password_set/", views.PasswordSetView.as_view(), name="password-set"),
    path("waiting/", joining.WaitingView.as_view(), name="waiting"),
]
