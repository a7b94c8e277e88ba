from careers.models import CareerOutcome
from phdsupport.forms import ModelForm
from students.forms import require_version, version_field


class CareerForm(ModelForm):
    version = version_field()

    class Meta:
        model = CareerOutcome
        fields = ["survey_point", "destination", "sector", "employer", "country"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        require_version(self, updating=self.instance.pk is not None)
        for name in ("employer", "country"):
            self.fields[name].validators.extend(CareerOutcome._meta.get_field(name).validators)

    def _post_clean(self):
        # Validation happens in careers.services, the one place career records are written.
        pass
