from django import forms
from django.utils.translation import gettext_lazy as _

from phdsupport.forms import Form
from phdsupport.validation import DATE_VALIDATORS, MULTILINE_VALIDATORS
from programs.models import Program
from students.forms import DATE

MAX_REPORT_TEXT = 20_000  # as the API allows (reports.api.serializers)


class ReportPrepareForm(Form):
    program = forms.ModelChoiceField(Program.objects.all(), to_field_name="code", label=_("支援事業"))
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


class DeadlineForm(Form):
    program = forms.ModelChoiceField(Program.objects.all(), to_field_name="code", label=_("支援事業"))
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    due_date = forms.DateField(label=_("提出期限"), widget=DATE, validators=DATE_VALIDATORS)


class ReportTextForm(Form):
    comments = forms.CharField(
        label=_("所見・補足"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MAX_REPORT_TEXT,
        validators=MULTILINE_VALIDATORS,
    )
    career_activities = forms.CharField(
        label=_("キャリア開発の取組（インターンシップ・海外渡航など）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MAX_REPORT_TEXT,
        validators=MULTILINE_VALIDATORS,
    )


class ReportAcceptForm(Form):
    """Accepting locks a year of the university's awards: the officer confirms it first. A checked
    box, not a script's dialog: the pages run no inline scripts (CSP), and it works without any."""

    confirm = forms.BooleanField(
        label=_("受理すると、この大学のこの年度・この事業の支援が変更できなくなることを確認しました。"),
        error_messages={"required": _("受理する前に、確認の欄にチェックを入れてください。")},
    )


class ReportCommentForm(Form):
    comment = forms.CharField(
        label=_("コメント"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_REPORT_TEXT,
        validators=MULTILINE_VALIDATORS,
    )
