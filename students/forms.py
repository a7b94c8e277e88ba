from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from programs.models import Program
from students.models import AwardEvent, CareerOutcome, Student
from students.services import STUDENT_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field-keyed errors on the form's fields (unknown keys go on top)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


class StudentForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Student
        fields = list(STUDENT_FIELDS)  # the fields students.services writes
        widgets = {"entry_date": DATE, "completion_date": DATE}

    def _post_clean(self):
        # Model validation happens in students.services, the one place every write goes through.
        pass


class AwardForm(forms.Form):
    program = forms.ModelChoiceField(Program.objects.all(), to_field_name="code", label=_("支援事業"))
    start_date = forms.DateField(label=_("支援開始日"), widget=DATE)
    end_date = forms.DateField(label=_("支援終了日"), widget=DATE)
    annual_living_cost = forms.IntegerField(
        label=_("生活費相当額（年額・円）"), required=False, help_text=_("空欄は事業の標準額")
    )
    annual_research_cost = forms.IntegerField(label=_("研究費（年額・円）"), required=False)
    is_reserved = forms.BooleanField(label=_("予約採用"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AwardEventForm(forms.Form):
    kind = forms.ChoiceField(choices=AwardEvent.Kind.choices, label=_("種別"))
    start_date = forms.DateField(label=_("開始日・発生日"), widget=DATE)
    end_date = forms.DateField(label=_("終了日（休止・延長）"), widget=DATE, required=False)
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)
    annual_living_cost = forms.IntegerField(
        label=_("変更後の生活費相当額（年額・円）"),
        min_value=0,
        required=False,
        help_text=_("支給額の変更のときのみ。開始日の属する月の翌月から（1日付なら当月から）この額になります。"),
    )
    special_allowance = forms.BooleanField(
        label=_("特別手当（最終年次の優秀者）を加算"),
        required=False,
        help_text=_("支給額の変更のときのみ。その日の支給額に事業の規定の特別手当を加えます。"),
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("ファイル（CSV または XLSX）"))


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("名前（用途）"), max_length=100)
    scope = forms.ChoiceField(label=_("権限"), choices=[("read", _("読み取り")), ("write", _("読み書き"))])


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


class CareerForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CareerOutcome
        fields = ["survey_point", "destination", "sector", "employer", "country"]

    def _post_clean(self):
        # Validation happens in students.careers, the one place career records are written.
        pass
