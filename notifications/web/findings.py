"""Recording an accountability finding (通报批评、约谈整改、容错免责) on a breach, from the compliance page.

Each breach on the page carries a short form that posts here; the service (``record_finding``) decides. A form
with errors comes back on a page of its own with the breach, what was decided about it before, and everything
typed still in it; a finding recorded goes back to the page it came from.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from incidents.models import AccountabilityFinding, Obligation
from incidents.services.accountability import RECTIFICATION_WORKING_DAYS, record_finding
from incidents.web.access import PersonPage
from incidents.web.forms import DateInput, MomentInput
from opinion_tracker.lib.forms import add_service_errors

from ..breaches import FINDINGS
from ..report import REPORT_READERS


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("finding"), choices=AccountabilityFinding.Kind.choices)
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}))
    decided_on = forms.DateField(label=_("decided on"), widget=DateInput)
    rectification_due_at = forms.DateTimeField(
        label=_("rectification report due at"), required=False, widget=MomentInput()
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["rectification_due_at"].help_text = _(
            "For an admonishing interview (约谈整改). Empty: %(days)d working days from now."
        ) % {"days": RECTIFICATION_WORKING_DAYS}


def findings_form(obligation) -> FindingForm:
    """The empty form of one breach on the compliance page (prefixed, since the page lists many)."""
    return FindingForm(prefix=f"b{obligation.pk}")


class FindingView(PersonPage, View):
    """Auditors and administrators record what was decided about one breached obligation."""

    roles = REPORT_READERS
    template_name = "tracker/finding.html"

    def obligation(self, pk) -> Obligation:
        visible = Obligation.objects.filter(self.caller.incident_filter("incident"))
        related = visible.select_related("incident__department").prefetch_related(*FINDINGS)
        return get_object_or_404(related, pk=pk)

    def back(self):
        """Where the form came from (the compliance page with its query), when that is a path of this site."""
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        on_this_site = url_has_allowed_host_and_scheme(target, {self.request.get_host()}, self.request.is_secure())
        return target if on_this_site and target.startswith("/") else None

    def page(self, obligation, form, status=200):
        context = {"obligation": obligation, "form": form, "next": self.back() or "", "now": timezone.now()}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        obligation = self.obligation(pk)
        return self.page(obligation, findings_form(obligation))

    def post(self, request, pk):
        obligation = self.obligation(pk)
        form = FindingForm(request.POST, prefix=f"b{obligation.pk}")
        if form.is_valid():
            try:
                finding = record_finding(obligation, **form.cleaned_data, actor=request.user, now=timezone.now())
            except ValidationError as error:
                add_service_errors(form, error.message_dict)
            else:
                messages.success(request, done_message(finding))
                return HttpResponseRedirect(self.back() or reverse("web:compliance"))
        return self.page(obligation, form, status=400)


def done_message(finding: AccountabilityFinding) -> str:
    if finding.kind != AccountabilityFinding.Kind.INTERVIEW:
        return _("Finding recorded.")
    due = timezone.localtime(finding.rectification.due_at)
    return _("Finding recorded; the rectification report is due at %(due)s.") % {"due": f"{due:%Y-%m-%d %H:%M}"}
