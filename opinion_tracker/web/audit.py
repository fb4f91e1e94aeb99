"""配置变更: the auditors' page of configuration changes, the API's list (``opinion_tracker.audit_changes``) in
words: who changed what and when, each changed field with its value before and after.

The filters are judged by the API's own ``ChangeQuery``, so the page and the API accept and refuse alike.
"""

from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from incidents.models import Role
from incidents.web.access import PersonPage
from incidents.web.forms import DateInput
from opinion_tracker.lib.admin_durations import signed_hours
from opinion_tracker.lib.forms import add_new_service_errors

from ..audit import ROLES
from ..audit_changes import ChangeQuery, actors, audited_objects, change_of, configuration_changes
from .pages import CONFIGURATION_CHANGES

PER_PAGE = 50
CHANGE_WORDS = {"created": _("Created"), "updated": _("Changed"), "deleted": _("Deleted")}


class ChangesForm(forms.Form):
    object = forms.ChoiceField(label=_("object"), required=False)
    actor = forms.ChoiceField(label=_("changed by"), required=False)
    since = forms.DateField(label=_("since"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        objects = [(name, capfirst(model._meta.verbose_name)) for name, model in audited_objects().items()]
        self.fields["object"].choices = [("", _("All objects")), *objects]
        self.fields["actor"].choices = [("", _("Everyone")), *((person.pk, str(person)) for person in actors())]


class ConfigurationChangesView(PersonPage, TemplateView):
    roles = CONFIGURATION_CHANGES.roles
    template_name = "tracker/audit_changes.html"

    def get_context_data(self, **kwargs):
        params = {key: self.request.GET[key] for key in ("object", "actor", "since") if self.request.GET.get(key)}
        form = ChangesForm(params)
        checked = ChangeQuery(data=params)
        context = {**super().get_context_data(**kwargs), "form": form}
        if not checked.is_valid():
            form.is_valid()
            add_new_service_errors(form, checked.errors)
            return context
        page = Paginator(configuration_changes(checked.validated_data), PER_PAGE).get_page(self.request.GET.get("page"))
        changes = [change_of(entry) for entry in page]
        names = related_names(changes)
        return {**context, "page_obj": page, "rows": [row_of(change, names) for change in changes]}


def row_of(change, names) -> dict:
    """A change as the page's table shows it: each changed field's label, and its value before and after."""
    fields = []
    for name in {**change.before, **change.after}:
        fields.append(
            {
                "label": label_of(change.model, name),
                "before": text_of(change.model, name, change.before.get(name), names) if change.before else "",
                "after": text_of(change.model, name, change.after.get(name), names) if change.after else "",
            }
        )
    return {
        "change": change,
        "what": capfirst(change.model._meta.verbose_name),
        "change_word": CHANGE_WORDS[change.change],
        "fields": fields,
    }


def field_of(model, name):
    """The model's field ``name``; None for the roles (not a column) or a field since removed."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def label_of(model, name) -> str:
    if name == ROLES:
        return capfirst(gettext("roles"))
    model_field = field_of(model, name)
    return capfirst(model_field.verbose_name) if model_field is not None else name


def related_names(changes) -> dict:
    """What the ids of the changed links name now, per model: one query per linked model on the page."""
    wanted: dict = {}
    for change in changes:
        for values in (change.before, change.after):
            for name, value in values.items():
                link = link_of(change.model, name)
                if link is not None and isinstance(value, int):
                    wanted.setdefault(link, set()).add(value)
    return {model: model._base_manager.in_bulk(ids) for model, ids in wanted.items()}


def link_of(model, name):
    """The model a field links to, or None."""
    model_field = field_of(model, name)
    if model_field is None or not (model_field.many_to_one or model_field.one_to_one):
        return None
    return model_field.related_model


def text_of(model, name, value, names) -> str:
    """A field's value in words: names for links, labels for choices and roles, Beijing times, signed hours."""
    if value is None or value == "" or value == []:
        return "—"
    if name == ROLES:
        return "、".join(str(Role(role).label) if role in Role.values else role for role in value)
    link = link_of(model, name)
    if link is not None:
        found = names.get(link, {}).get(value)
        return f"{found}（#{value}）" if found is not None else f"#{value}"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, timedelta):
        return signed_hours(value)
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    model_field = field_of(model, name)
    choices = dict(model_field.flatchoices) if model_field is not None else {}
    return str(choices.get(value, value))
