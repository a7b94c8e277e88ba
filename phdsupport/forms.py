"""The base of every form on the pages: a select's empty choice says what it means, in the page's
language, instead of Django's "---------" (Ref: #13).

In a form that writes, a required select reads 選択してください / "Select…" and an optional one
指定なし / "None"; in a form that filters a list (``empty_label = ALL``), すべて / "All". List
filters built by django-filter get すべて / "All" from ``FILTERS_EMPTY_CHOICE_LABEL`` (settings).
Every form class of the apps derives from ``Form`` or ``ModelForm`` here (tests/test_forms.py).
"""

from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.utils.translation import gettext_lazy as _

DJANGO_EMPTY_LABEL = BLANK_CHOICE_DASH[0][1]  # "---------"
SELECT = _("選択してください")
NONE = _("指定なし")
ALL = _("すべて")


class NamedEmptyChoice:
    """Names the empty choice of every select of the form (see the module's docstring)."""

    empty_label = None  # a filter form sets ALL; a form that writes names it by whether it is required

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = self.empty_label or (SELECT if field.required else NONE)
            if isinstance(field, forms.ModelChoiceField) or hasattr(field, "empty_label"):
                # Model choices (and django-filter's fields) add their empty choice when rendered.
                if getattr(field, "empty_label", None) is not None:
                    field.empty_label = label
            elif isinstance(field, forms.ChoiceField):
                # A model field's choices (ModelForm) start with Django's ("", "---------").
                choices = list(field.choices)
                if choices and choices[0][0] in ("", None) and choices[0][1] == DJANGO_EMPTY_LABEL:
                    field.choices = [("", label), *choices[1:]]


class Form(NamedEmptyChoice, forms.Form):
    pass


class ModelForm(NamedEmptyChoice, forms.ModelForm):
    pass
