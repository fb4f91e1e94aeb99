"""The reports to leaders of an incident (``/incidents/<pk>/bulletin/``) and their documents
(``/bulletins/<pk>/<format>/``).

Everyone who may read the incident sees the bulletins sent about it (to whom, whether each email went and
whether each leader has opened it) and can download a preview of the next one; the lead's duty officers get
the form that sends it, choosing among the leaders of the incident's government. A recipient opening a
document marks their copy read, so the sender sees who has read it.
"""

from collections import Counter

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from incidents.access import readable_incident
from incidents.models import Incident
from incidents.web.access import PersonPage
from opinion_tracker.lib.forms import IdChoicesField, add_service_errors

from ..bulletins.content import issue_of, name_of, stored_file_name, title_of
from ..bulletins.documents import FORMATS, next_issue
from ..bulletins.reading import mark_read, openable_bulletins
from ..bulletins.sending import MAX_ADVICE, ensure_may_send, leaders_for, send_bulletin
from ..deciders import may_publish
from ..models import Bulletin, BulletinCopy


class LeaderChoices(IdChoicesField):
    def label_from_instance(self, obj):
        return f"{obj} · {obj.department.name}" if obj.department else str(obj)


class SendForm(forms.Form):
    recipients = LeaderChoices(
        queryset=None, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Send it to these leaders")
    )
    advice = forms.CharField(
        label=gettext_lazy("Recommendations of your own"),
        help_text=gettext_lazy("Added under 7. Recommendations, after those the record suggests."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_ADVICE,
        required=False,
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = leaders_for(incident)


def sent_message(bulletin) -> str:
    """What the sender is told: the number it got, and honestly how each email went."""
    emails = Counter(bulletin.copies.values_list("email", flat=True))
    return _(
        "%(name)s sent to %(count)d leaders: emailed to %(sent)d, email failed for %(failed)d, "
        "no email address for %(no_address)d."
    ) % {
        "name": name_of(bulletin),
        "count": sum(emails.values()),
        "sent": emails[BulletinCopy.Email.SENT],
        "failed": emails[BulletinCopy.Email.FAILED],
        "no_address": emails[BulletinCopy.Email.NO_ADDRESS],
    }


class BulletinPage(PersonPage, View):
    template_name = "statements/bulletin.html"

    def incident(self, pk) -> Incident:
        return readable_incident(self.caller, pk)

    def may_send(self, incident) -> bool:
        return incident.state == Incident.State.OPEN and may_publish(self.caller, incident)

    def get(self, request, pk):
        incident = self.incident(pk)
        form = SendForm(incident=incident) if self.may_send(incident) else None
        return self.page(incident, form)

    def post(self, request, pk):
        incident = self.incident(pk)
        ensure_may_send(self.caller, incident)  # a 403 for whoever may not send, whatever they posted
        form = SendForm(request.POST, incident=incident)
        if form.is_valid():
            try:
                sent = send_bulletin(
                    incident,
                    recipients=[person.pk for person in form.cleaned_data["recipients"]],
                    advice=form.cleaned_data["advice"],
                    actor=request.user,
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_errors(form, error.message_dict)
            else:
                messages.success(request, sent_message(sent))
                return redirect("web:bulletin", pk=incident.pk)
        return self.page(incident, form, status=400)

    def page(self, incident, form, status=200):
        copies = BulletinCopy.objects.select_related("recipient").order_by("recipient__username")
        bulletins = incident.bulletins.select_related("sent_by").prefetch_related(Prefetch("copies", queryset=copies))
        upcoming = next_issue(incident, timezone.now())
        context = {
            "incident": incident,
            "bulletins": [(b, name_of(b)) for b in bulletins.order_by("-sent_at", "-pk")],
            "next_title": title_of(upcoming.follow_up),
            "next_issue": issue_of(upcoming.number),
            "formats": list(FORMATS),
            "form": form,
        }
        return render(self.request, self.template_name, context, status=status)


class BulletinDocument(PersonPage, View):
    """A sent bulletin's Word or PDF document, for readers of its incident and its recipients."""

    def get(self, request, pk, format):
        form = FORMATS.get(format)
        if form is None:
            raise Http404
        bulletin: Bulletin = get_object_or_404(openable_bulletins(self.caller), pk=pk)
        try:
            stored = getattr(bulletin, form.extension).open("rb")
        except FileNotFoundError:
            raise Http404 from None
        mark_read(bulletin, request.user, timezone.now())
        return FileResponse(
            stored,
            as_attachment=True,
            filename=stored_file_name(bulletin, form.extension),
            content_type=form.content_type,
        )
