"""The admin's base pieces for every app: durations and links read as people write them, read-only lists,
a small page that runs one service and shows its errors, and credentials shown masked."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from .admin_durations import SPOKEN_DURATIONS
from .forms import HTTPS_URLS, add_service_errors

# Every admin form reads and shows durations as people write them; links typed without a scheme are https.
FORMFIELD_OVERRIDES: dict = {**HTTPS_URLS, **SPOKEN_DURATIONS}


def service_form_view(
    request, *, title, subject, back_url, form_class, apply, template="admin/tracker/service_form.html", **extra
):
    """A small admin page that runs one service (regrade, close, waive, an import) and shows its errors on
    the form; ``template`` may extend the plain page with what its form needs explained (``extra``)."""
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            apply(**form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error.message_dict)
        else:
            messages.success(request, _("Done: %(title)s") % {"title": title})
            return redirect(back_url)
    context = {**admin.site.each_context(request), "title": title, "subject": subject, "back_url": back_url}
    return render(request, template, {**context, **extra, "form": form})


def masked(value: str) -> str:
    """Enough of a credential to recognise it, never enough to use it."""
    return f"••••{value[-4:]}" if len(value) > 8 else "••••" if value else ""


class ReadOnlyInline(admin.TabularInline):
    template = "admin/tracker/readonly_tabular.html"
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TrackerAdmin(admin.ModelAdmin):
    formfield_overrides = FORMFIELD_OVERRIDES


class ReadOnlyAdmin(TrackerAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
