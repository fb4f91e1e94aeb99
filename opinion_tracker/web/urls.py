from django.urls import path

from . import audit, signin

urlpatterns = [
    path("", signin.home, name="home"),
    path("signin/", signin.SignInView.as_view(), name="signin"),
    path("signout/", signin.SignOutView.as_view(), name="signout"),
    path("audit/changes/", audit.ConfigurationChangesView.as_view(), name="audit_changes"),
]
