import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.dashboards.population import population  # noqa: F401  (fixture)
from tests.factories import UniversityFactory, user_with_role


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Before this process's SQLite test database is made: remove a write-ahead log or rollback
    journal left beside it by a run that was killed. Django deletes only the database file, and
    SQLite would read a left-over log or journal into the new file of the same name."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    name = database.get("TEST", {}).get("NAME")
    if database["ENGINE"].endswith("sqlite3") and name:
        for sidecar in ("-wal", "-shm", "-journal"):
            Path(f"{name}{sidecar}").unlink(missing_ok=True)


@pytest.fixture
def reference(db):
    call_command("load_reference", stdout=io.StringIO())


@pytest.fixture
def university_a(db):
    return UniversityFactory(name_ja="甲大学", name_en="Kou University")


@pytest.fixture
def university_b(db):
    return UniversityFactory(name_ja="乙大学", name_en="Otsu University", founder="private", national_group=None)


@pytest.fixture
def staff_a(university_a):
    return user_with_role("staff_a", "university_staff", university=university_a)


@pytest.fixture
def staff_b(university_b):
    return user_with_role("staff_b", "university_staff", university=university_b)


@pytest.fixture
def ministry_viewer(db):
    return user_with_role("ministry", "ministry_viewer")


@pytest.fixture
def program_officer(reference):
    from programs.models import Program

    return user_with_role("officer", "program_officer", programs=Program.objects.filter(code="SPRING"))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (dashboards cache by the facts' version)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Japanese: a request in English leaves English active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _second_factor_passed_at_test_sign_in(request, monkeypatch):
    """`client.login`/`force_login` sign in as a person who also passed their second factor, as
    every ministry, officer and administrator account must (accounts.SecondFactorMiddleware):
    the person gets a confirmed authenticator if they have none and the session is marked as
    having passed it. Tests of the second factor itself mark themselves `real_second_factor`
    and go through the pages; browser tests always do (tests/browser/conftest.py sign_in)."""
    if request.node.get_closest_marker("real_second_factor"):
        return
    from django.test.client import ClientMixin

    original = ClientMixin._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.second_factor import has_second_factor
        from phdsupport import access

        if access.needs_second_factor(user) or has_second_factor(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
                user=user, name="tests", confirmed=True
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(ClientMixin, "_login", _login)
