"""Query filters of the drafts list (django-filter), as the incidents' lists take theirs."""

import django_filters as filters

from incidents.api.filters import IdFilter

from ..models import Draft


class DraftFilter(filters.FilterSet):
    """``incident=<id>`` (an incident the caller may not read finds nothing, as for any id) and ``state``."""

    incident = IdFilter(field_name="incident")

    class Meta:
        model = Draft
        fields = ["incident", "state"]
