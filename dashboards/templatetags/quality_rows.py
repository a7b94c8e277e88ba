"""Rows of the quality page's lists of late awards and late changes, rendered in Python (as
careers.templatetags.career_rows says why)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from phdsupport.rows import local_day, url_pattern

register = template.Library()


@register.simple_tag
def late_award_rows(awards):
    """<tr>s of late awards (dashboards.quality.LateAward): student number (linked to the award), program, start, recorded."""
    award = url_pattern("students:award")
    return mark_safe(  # every value is escaped
        "\n".join(
            f'<tr><td><a href="{award.format(a.award_id)}">{escape(a.student_number)}</a></td>'
            f"<td>{escape(a.program_name)}</td><td>{a.start_date.isoformat()}</td>"
            f"<td>{local_day(a.recorded_at)}</td></tr>"
            for a in awards
        )
    )


@register.simple_tag
def late_change_rows(events):
    """<tr>s of late changes (dashboards.quality.LateChange): student number (linked to the award), program, kind, date, recorded."""
    award = url_pattern("students:award")
    return mark_safe(  # every value is escaped
        "\n".join(
            f'<tr><td><a href="{award.format(e.award_id)}">{escape(e.student_number)}</a></td>'
            f"<td>{escape(e.program_name)}</td><td>{escape(e.kind_label)}</td>"
            f"<td>{e.start_date.isoformat()}</td><td>{local_day(e.recorded_at)}</td></tr>"
            for e in events
        )
    )
