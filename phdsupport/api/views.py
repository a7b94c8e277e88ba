"""What answers under /api/ when no route does."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView


@extend_schema(exclude=True)
class ApiNotFound(APIView):
    """Any path under /api/ that no route matches (an id that is not a number, `//`, an unknown
    resource): a problem+json 404 like every other API error, after the key is checked, instead
    of Django's HTML page (DEBUG's technical page or the site's 404 template)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()
