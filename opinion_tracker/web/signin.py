"""Signing in and out of the web pages, and where each person lands.

The sign-in form is Django's, behind the same failure limits as the API and the admin (``LoginGuard``).
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.access import HUMAN_ROLES, Caller, caller_of
from incidents.signin import guarded_form_sign_in
from opinion_tracker.lib.pages import declared_pages


def landing_url(request) -> str:
    """The first page of the top bar that the person's roles start on (``Page.lands``)."""
    roles = caller_of(request).roles
    for page in declared_pages():
        if page.lands & roles:
            return reverse(page.url_name)
    raise PermissionDenied  # integration accounts and people without a role have no pages


def home(request):
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    return redirect(landing_url(request))


class SignInForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not Caller.of(user).has_any(HUMAN_ROLES):
            raise ValidationError(_("This account has no pages to open here."), code="no_role")


class SignInView(auth_views.LoginView):
    template_name = "tracker/signin.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        sign_in = super().post
        return guarded_form_sign_in(request, sign_in=lambda: sign_in(request, *args, **kwargs), refuse=self.refused)

    def refused(self, message):
        """Past a limit the password is not checked at all; the form comes back empty but for the name."""
        form = self.form_class(self.request, initial={"username": self.request.POST.get("username", "")})
        return self.render_to_response(self.get_context_data(form=form, refused=message))

    def get_default_redirect_url(self):
        return landing_url(self.request)


class SignOutView(auth_views.LogoutView):
    next_page = "web:signin"
