from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import ClaimSettlement
from phdsupport.forms import Form
from students.forms import DATE

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class PaymentForm(Form):
    """One month of one award; the service checks it (payments.services.payment_check)."""

    award = forms.TypedChoiceField(label=_("支援"), coerce=int)
    month = forms.DateField(label=_("支給対象月"), widget=MONTH, input_formats=["%Y-%m", "%Y-%m-%d", "%Y/%m"])
    living_cost = forms.IntegerField(label=_("生活費相当額（円）"))
    research_cost = forms.IntegerField(label=_("研究費（円）"), initial=0)
    pay_date = forms.DateField(label=_("支給日"), widget=DATE)
    reason = forms.CharField(label=_("訂正の理由"), required=False, max_length=500)

    def __init__(self, *args, awards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["award"].choices = [
            (a.pk, f"{a.program.name} {a.start_date:%Y-%m-%d}〜{a.end_date:%Y-%m-%d}") for a in awards
        ]


class SettlementForm(Form):
    kind = forms.ChoiceField(label=_("区分"), choices=ClaimSettlement.Kind.choices)
    amount = forms.IntegerField(label=_("金額（円）"), min_value=1)
    reason = forms.CharField(label=_("理由"), max_length=500)
