"""The posts of casework's forms on the incident page (``offers``).

A post that the service still refuses (the rules are the services', never the page's) comes back with the
reason in words on the form, with a 403; one with errors, with them on its fields and a 400.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.casework.requests import approve, refuse
from opinion_tracker.lib.forms import add_service_errors

from .incident import IncidentPage
from .offers import OFFERS, DecisionForm


class CaseworkView(IncidentPage):
    """A post of one offer's form: back to the page on success, the page with the form's errors (or the
    service's refusal, in words) otherwise."""

    def post(self, request, pk, name):
        offer = OFFERS.get(name)
        if offer is None:
            raise Http404
        incident = self.incident(pk)
        form = offer.form(request.POST, request.FILES, incident=incident, caller=self.caller, prefix=offer.name)
        status = 400
        if form.is_valid():
            try:
                offer.apply(incident, dict(form.cleaned_data), request.user, timezone.now())
            except ValidationError as error:
                add_service_errors(form, error.message_dict)
            except PermissionDenied as refusal:
                form.add_error(None, str(refusal) or _("You may not do this on this incident."))
                status = 403
            else:
                messages.success(request, offer.done)
                return redirect("web:incident", pk=incident.pk)
        return self.page(incident, status=status, casework={name: form})


class DecideView(IncidentPage):
    def post(self, request, pk, request_pk, verdict):
        incident = self.incident(pk)
        asked = get_object_or_404(incident.requests, pk=request_pk)
        form = DecisionForm(request.POST, prefix=f"r{asked.pk}")
        if not form.is_valid() or verdict not in ("approve", "refuse"):
            return self.page(incident, status=400)
        note = form.cleaned_data["note"]
        try:
            if verdict == "approve":
                approve(
                    asked, note=note, department=form.cleaned_data["department"], actor=request.user, now=timezone.now()
                )
            else:
                refuse(asked, note=note, actor=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.page(incident, status=400)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            return self.page(incident, status=403)
        messages.success(request, _("Request approved.") if verdict == "approve" else _("Request refused."))
        return redirect("web:incident", pk=incident.pk)
