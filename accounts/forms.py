from django import forms
from django.utils.translation import gettext_lazy as _


class ReadSearchForm(forms.Form):
    reader = forms.CharField(label=_("閲覧者のユーザー名"), required=False, max_length=150)
    student = forms.IntegerField(label=_("学生のID"), required=False, min_value=1)
    since = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
