from django import forms
from django.utils.translation import gettext_lazy as _


class ReadSearchForm(forms.Form):
    reader = forms.CharField(label=_("閲覧者のユーザー名"), required=False, max_length=150)
    student = forms.IntegerField(label=_("学生のID"), required=False, min_value=1)
    since = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        help_text=_("認証アプリに表示される6桁の数字、または回復コードのひとつ"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )
    remember = forms.BooleanField(label=_("このブラウザーを記憶する"), required=False)


class EnrolmentForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=8,
        help_text=_("認証アプリに表示される6桁の数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}),
    )
