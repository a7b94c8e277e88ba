"""Settings of the gunicorn server the API benchmark talks to: the product's, plus one floor view."""

from phdsupport.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api"
