"""Pages of lists: ``page``, and ``page_size`` up to 500."""

from rest_framework.pagination import PageNumberPagination


class TrackerPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``, 50 a page, ``?page_size=`` up to 500 (docs/api.md)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
