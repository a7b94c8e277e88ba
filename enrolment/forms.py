from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrolment.models import EnrolmentStatistic
from phdsupport.forms import Form
from students.models import Field


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's field-keyed errors on the form's fields (unknown keys go on top)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


def _count(label: str, required: bool = True) -> forms.IntegerField:
    # No bounds here: the service refuses with the same message as the upload and the API.
    return forms.IntegerField(label=label, required=required)


class StatisticForm(Form):
    fiscal_year = forms.IntegerField(label=_("年度"))
    field = forms.ChoiceField(label=_("学系"), choices=Field.choices)
    admission_capacity = _count(_("入学定員"))
    entrants = _count(_("入学者数"))
    entrants_from_masters = _count(_("うち修士課程からの進学者"), required=False)
    entrants_working_adults = _count(_("うち社会人"), required=False)
    entrants_international = _count(_("うち留学生"), required=False)
    enrolled = _count(_("在籍者数（5月1日）"))
    degrees_conferred = _count(_("学位（課程博士）授与数"))
    completions_within_term = _count(_("標準修業年限内修了者数"))
    standard_term_years = forms.TypedChoiceField(
        label=_("標準修業年限（年）"), choices=EnrolmentStatistic.StandardTerm.choices, coerce=int, initial=3
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class UploadForm(Form):
    file = forms.FileField(label=_("ファイル（CSV または XLSX）"))


class WhatIfForm(Form):
    field = forms.ChoiceField(label=_("学系"), choices=Field.choices)
    extra = forms.IntegerField(label=_("標準修業年限内修了者の増加（人）"), min_value=0, max_value=10_000)


class LockForm(Form):
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    action = forms.ChoiceField(choices=[("lock", _("確定")), ("unlock", _("確定の解除"))])
