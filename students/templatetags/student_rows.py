"""The student list's rows, rendered in Python (as careers.templatetags.career_rows says why):
the clerk's most used page spent more on its fifty rows in the template language than on its
queries."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from phdsupport.rows import url_pattern

register = template.Library()


@register.simple_tag
def student_rows(students):
    """<tr>s of students (labelled by students.views.label_rows): number (linked), name, university,
    field, entry date, status, e-Rad number."""
    detail = url_pattern("students:detail")
    return mark_safe(  # every value is escaped
        "\n".join(
            f'<tr><td><a href="{detail.format(s.pk)}">{escape(s.student_number)}</a></td>'
            f'<td class="nowrap"><span lang="ja">{escape(s.family_name)} {escape(s.given_name)}</span></td>'
            f"<td>{escape(str(s.university))}</td><td>{escape(s.field_label)}</td>"
            f'<td class="nowrap">{s.entry_date.isoformat() if s.entry_date else ""}</td>'
            f"<td>{escape(s.status_label)}</td><td>{escape(s.erad_number)}</td></tr>"
            for s in students
        )
    )
