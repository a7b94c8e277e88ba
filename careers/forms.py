from django import forms

from careers.models import CareerOutcome


class CareerForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CareerOutcome
        fields = ["survey_point", "destination", "sector", "employer", "country"]

    def _post_clean(self):
        # Validation happens in careers.services, the one place career records are written.
        pass
