from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from phdsupport.forms import Form, ModelForm
from phdsupport.validation import DATE_VALIDATORS, TEXT_VALIDATORS
from programs.models import Program
from students.models import AwardEvent, Student
from students.services import STUDENT_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


VERSION_REQUIRED = _("この画面は古い版のものです。再読み込みしてからやり直してください。")


def version_field() -> forms.IntegerField:
    """The version the form was read at; required when updating (a post without it would
    overwrite whatever was saved since), not used when creating."""
    return forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, error_messages={"required": VERSION_REQUIRED}
    )


def require_version(form: forms.BaseForm, updating: bool) -> None:
    form.fields["version"].required = updating


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field-keyed errors on the form's fields (unknown keys go on top)."""
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error)


class StudentForm(ModelForm):
    version = version_field()

    class Meta:
        model = Student
        fields = list(STUDENT_FIELDS)  # the fields students.services writes
        widgets = {"entry_date": DATE, "completion_date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        require_version(self, updating=self.instance.pk is not None)
        # The model's bounds, checked on the form too (the service checks them again).
        for name in STUDENT_FIELDS:
            known = self.fields[name].validators
            known.extend(v for v in Student._meta.get_field(name).validators if v not in known)

    def _post_clean(self):
        # Model validation happens in students.services, the one place every write goes through.
        pass


class AwardForm(Form):
    program = forms.ModelChoiceField(Program.objects.all(), to_field_name="code", label=_("支援事業"))
    start_date = forms.DateField(label=_("支援開始日"), widget=DATE, validators=DATE_VALIDATORS)
    end_date = forms.DateField(label=_("支援終了日"), widget=DATE, validators=DATE_VALIDATORS)
    annual_living_cost = forms.IntegerField(
        label=_("生活費相当額（年額・円）"), required=False, help_text=_("空欄は事業の標準額")
    )
    annual_research_cost = forms.IntegerField(label=_("研究費（年額・円）"), required=False)
    is_reserved = forms.BooleanField(label=_("予約採用"), required=False)
    version = version_field()

    def __init__(self, *args, updating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        require_version(self, updating)


class AwardEventForm(Form):
    kind = forms.ChoiceField(choices=AwardEvent.Kind.choices, label=_("種別"))
    start_date = forms.DateField(label=_("開始日・発生日"), widget=DATE, validators=DATE_VALIDATORS)
    end_date = forms.DateField(label=_("終了日（休止・延長）"), widget=DATE, required=False, validators=DATE_VALIDATORS)
    reason = forms.CharField(label=_("理由"), max_length=500, required=False, validators=TEXT_VALIDATORS)
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


class UploadForm(Form):
    file = forms.FileField(label=_("ファイル（CSV または XLSX）"))


class ApiKeyForm(Form):
    name = forms.CharField(label=_("名前（用途）"), max_length=100, validators=TEXT_VALIDATORS)
    scope = forms.ChoiceField(label=_("権限"), choices=[("read", _("読み取り")), ("write", _("読み書き"))])
