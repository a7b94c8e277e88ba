from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Publication(models.Model):
    """A fiscal year's national figures as published at a moment; kept unchanged forever."""

    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    floor = models.PositiveIntegerField(_("基準額（年額・円）"))
    published_at = models.DateTimeField(_("公表日時"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("公表者")
    )
    note = models.CharField(_("備考"), max_length=300, blank=True)
    figures = models.JSONField(_("公表値"))

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("公表値スナップショット")
        verbose_name_plural = _("公表値スナップショット")

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.published_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # A published figure must always be reproducible: rows are written once, never updated.
        if self.pk is not None:
            raise ValueError("A publication cannot be changed once saved.")
        super().save(*args, **kwargs)
