"""Every select's empty choice is named in the page's language, not Django's "---------" (Ref: #13).

The browser crawl (tests/browser/test_crawl.py) checks no page it reaches shows "---------"; these
check the rule itself, quickly, and that no form of the apps can miss it.
"""

import importlib
import inspect

import pytest
from django import forms

from phdsupport.forms import NamedEmptyChoice
from tests.factories import AwardFactory, StudentFactory, user_with_role

APPS = ["accounts", "careers", "dashboards", "enrolment", "payments", "reports", "students"]


def test_every_form_of_the_apps_names_its_empty_choices():
    missing = []
    for app in APPS:
        module = importlib.import_module(f"{app}.forms")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            own_form = issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
            if own_form and not issubclass(cls, NamedEmptyChoice):
                missing.append(f"{app}.forms.{name}")
    assert missing == []


@pytest.fixture
def staff(reference, university_a):
    return user_with_role("staff", "university_staff", university=university_a)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "select", "optional", "every"),
    [("ja", "選択してください", "指定なし", "すべて"), ("en", "Select…", "None", "All")],
)
def test_selects_say_what_their_empty_choice_means_in_the_page_language(
    client, staff, university_a, language, select, optional, every
):
    # given: a student with an award, and the staff of its university reading in one language
    student = StudentFactory(university=university_a)
    AwardFactory(student=student)
    client.force_login(staff)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    pages = {
        "student form": f"/students/{student.pk}/edit/",
        "award form": f"/students/{student.pk}/awards/new/",
        "career form": f"/students/{student.pk}/careers/new/",
        "student list": "/students/",
    }
    # when
    html = {name: client.get(path).content.decode() for name, path in pages.items()}
    # then: no "---------"; a required select asks, an optional one reads none, a filter all
    for name, page in html.items():
        assert "---------" not in page, name
    assert f'<option value="" selected>{select}</option>' in html["award form"]  # program, required
    assert f'<option value="" selected>{select}</option>' in html["career form"]  # survey point
    assert f'<option value="" selected>{optional}</option>' in html["career form"]  # sector, optional
    assert f'<option value="" selected>{every}</option>' in html["student list"]  # status, field, program
