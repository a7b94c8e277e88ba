from django import forms
from django.utils.translation import gettext_lazy as _

from programs.models import Program
from students.forms import DATE


class ReportPrepareForm(forms.Form):
    program = forms.ModelChoiceField(Program.objects.all(), to_field_name="code", label=_("支援事業"))
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


class DeadlineForm(forms.Form):
    program = forms.ModelChoiceField(Program.objects.all(), to_field_name="code", label=_("支援事業"))
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    due_date = forms.DateField(label=_("提出期限"), widget=DATE)


class ReportTextForm(forms.Form):
    comments = forms.CharField(label=_("所見・補足"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    career_activities = forms.CharField(
        label=_("キャリア開発の取組（インターンシップ・海外渡航など）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )


class ReportCommentForm(forms.Form):
    comment = forms.CharField(label=_("コメント"), widget=forms.Textarea(attrs={"rows": 3}))
