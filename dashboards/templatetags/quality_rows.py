"""Rows of the quality page's lists of late awards and late changes, rendered in Python (as
careers.templatetags.career_rows says why)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from phdsupport.rows import local_day, url_pattern

register = template.Library()


@register.simple_tag
def late_award_rows(awards):
    """<tr>s of late awards: student number (linked to the award), program, start, recorded."""
    award = url_pattern("students:award")
    return mark_safe(  # every value is escaped
        "\n".join(
            f'<tr><td><a href="{award.format(a.pk)}">{escape(a.student.student_number)}</a></td>'
            f"<td>{escape(str(a.program.name))}</td><td>{a.start_date.isoformat()}</td>"
            f"<td>{local_day(a.created_at)}</td></tr>"
            for a in awards
        )
    )


@register.simple_tag
def late_change_rows(events):
    """<tr>s of late changes: student number (linked to the award), program, kind, date, recorded."""
    award = url_pattern("students:award")
    return mark_safe(  # every value is escaped
        "\n".join(
            f'<tr><td><a href="{award.format(e.award.pk)}">{escape(e.award.student.student_number)}</a></td>'
            f"<td>{escape(str(e.award.program.name))}</td><td>{escape(str(e.get_kind_display()))}</td>"
            f"<td>{e.start_date.isoformat()}</td><td>{local_day(e.created_at)}</td></tr>"
            for e in events
        )
    )
