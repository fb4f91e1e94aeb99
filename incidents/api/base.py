"""Lists and lookups kept to the caller's department subtree."""

from incidents.access import caller_of


class ScopedQuerysetMixin:
    """Lists and lookups keep to the caller's department subtree (``department_field`` says where)."""

    department_field = "department"

    def get_queryset(self):
        return super().get_queryset().filter(caller_of(self.request).scope_filter(self.department_field))
