from django import forms
from django.utils.translation import gettext_lazy as _

from phdsupport import access
from phdsupport.forms import ALL, Form
from programs.models import Program
from students.models import University


class ReadSearchForm(Form):
    empty_label = ALL  # filters a page

    reader = forms.CharField(label=_("閲覧者のユーザー名"), required=False, max_length=150)
    student = forms.IntegerField(label=_("学生のID"), required=False, min_value=1)
    since = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SecondFactorForm(Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        help_text=_("認証アプリに表示される6桁の数字、または回復コードのひとつ"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )
    remember = forms.BooleanField(label=_("このブラウザーを記憶する"), required=False)


class EnrolmentForm(Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=8,
        help_text=_("認証アプリに表示される6桁の数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}),
    )


class MembershipForm(Form):
    """A role and what it is bound to; the choices are those the acting person may give."""

    role = forms.ChoiceField(label=_("役割"))
    university = forms.ModelChoiceField(label=_("大学"), queryset=University.objects.none(), required=False)
    can_certify = forms.BooleanField(label=_("報告の提出権限（本学の責任者）"), required=False)
    programs = forms.ModelMultipleChoiceField(
        label=_("担当事業"), queryset=Program.objects.order_by("display_order"), required=False
    )

    def __init__(self, *args, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in access.roles_assignable_by(acting_user)]
        _allowed, own = access.account_scope(acting_user)
        universities = University.objects.order_by("name_ja")
        self.fields["university"].queryset = universities.filter(pk=own) if own else universities
        if own:
            self.fields["university"].initial = own
            del self.fields["programs"]


class InviteForm(MembershipForm):
    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    email = forms.EmailField(label=_("メールアドレス"))
    field_order = ["username", "email", "role", "university", "can_certify", "programs"]
