from django import forms
from django.utils.translation import gettext_lazy as _

from phdsupport.forms import ALL, Form
from students.services import MAX_ANNUAL_YEN


class DashboardFilterForm(Form):
    empty_label = ALL  # filters a page

    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2019, max_value=2040, required=False)
    floor = forms.IntegerField(
        label=_("基準額（年額・円）"),
        min_value=1,  # DOMAIN.md (What-if floor): X ≥ ¥1
        max_value=MAX_ANNUAL_YEN,
        required=False,
        help_text=_("空欄は現行の基準（例：2400000 で年240万円の場合を試算）"),
    )


class PublishForm(Form):
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2019, max_value=2040)
    note = forms.CharField(label=_("備考"), max_length=300, required=False)
