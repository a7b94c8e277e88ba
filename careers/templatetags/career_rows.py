"""Rows of the lists of due career records (the careers page, the quality page), rendered in
Python: fifty rows of links, dates and labels cost a large university's careers page more than
finding its due records did when written in the template language (a reverse() and a dozen
filters a row)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from phdsupport.rows import url_pattern

register = template.Library()


@register.simple_tag
def due_rows(records, full=True):
    """<tr>s of `DueRecord`s: student number (linked), [name, completion date,] survey point, due
    date (with the overdue badge on the full list), and the link that records it. `full`: the
    careers page's six columns; otherwise the quality page's four."""
    detail, create = url_pattern("students:detail"), url_pattern("careers:create")
    register_label, late_label = escape(gettext("登録する")), escape(gettext("期限超過"))
    lines = []
    for d in records:
        student = d.student
        number = f'<td><a href="{detail.format(student.pk)}">{escape(student.student_number)}</a></td>'
        point = f"<td>{escape(d.survey_point_label)}</td>"
        action = f'<td><a href="{create.format(student.pk)}?point={escape(d.survey_point)}">{register_label}</a></td>'
        if full:
            name = f'<td><span lang="ja">{escape(student.family_name)} {escape(student.given_name)}</span></td>'
            finished = f"<td>{student.completion_date.isoformat() if student.completion_date else ''}</td>"
            badge = f' <span class="badge late">{late_label}</span>' if d.overdue else ""
            due = f"<td>{d.due_date.isoformat()}{badge}</td>"
            row_class = "late" if d.overdue else ""
            lines.append(f'<tr class="{row_class}">{number}{name}{finished}{point}{due}{action}</tr>')
        else:
            lines.append(f"<tr>{number}{point}<td>{d.due_date.isoformat()}</td>{action}</tr>")
    return mark_safe("\n".join(lines))  # every value is escaped above
