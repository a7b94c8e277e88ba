"""Pages of the accounts app: who looked at whom (the access log of personal data)."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor, selectors, services
from accounts.forms import EnrolmentForm, InviteForm, MembershipForm, ReadSearchForm, SecondFactorForm
from phdsupport import access
from students.forms import add_service_errors
from students.models import Student

PAGE_SIZE = 100


def _render_reads(request, form, student=None):
    university_id = access.require_read_log(request.user)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.personal_data_read_list(
        university_id=university_id,
        reader=data.get("reader") or "",
        student_id=student.pk if student is not None else data.get("student"),
        since=data.get("since"),
        until=data.get("until"),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/reads.html",
        {"form": form, "page": page, "student": student, "query": query.urlencode(), "scoped": university_id},
    )


@login_required
def reads(request):
    """Administrators search every read; a university's lead staff their own university's."""
    access.require_read_log(request.user)
    form = ReadSearchForm(request.GET)
    student = None
    if form.is_valid() and form.cleaned_data.get("student"):
        student = get_object_or_404(Student.objects.for_user(request.user), pk=form.cleaned_data["student"])
    return _render_reads(request, form, student)


@login_required
def student_reads(request, pk):
    """Who looked at this student, and when. Another university's student answers 404."""
    student = get_object_or_404(Student.objects.for_user(request.user).select_related("university"), pk=pk)
    return _render_reads(request, ReadSearchForm(request.GET), student)


def student_panel_context(request, student) -> dict:
    """The latest reads on the student's page, for those who may search the log (students.panels)."""
    allowed, university_id = access.read_log_scope(request.user)
    if not allowed:
        return {"allowed": False}
    return {
        "allowed": True,
        "reads": selectors.student_read_summary(university_id=university_id, student_id=student.pk),
    }


# --- Second factor -------------------------------------------------------------------------

WRONG_CODE = _("コードが正しくありません。もう一度入力してください。")
WAIT = _("コードの誤りが続いたため、しばらく受け付けません。少し待ってから入力してください。")
ENROLMENT_SESSION_KEY = "accounts_totp_enrolment"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@login_required
def second_factor_home(request):
    """What the person has enrolled, and how many recovery codes are left."""
    recovery = StaticDevice.objects.filter(user=request.user).first()
    return render(
        request,
        "accounts/second_factor.html",
        {
            "enrolled": second_factor.has_second_factor(request.user),
            "required": access.needs_second_factor(request.user),
            "recovery_left": recovery.token_set.count() if recovery else 0,
        },
    )


@login_required
def second_factor_verify(request):
    if not second_factor.has_second_factor(request.user):
        return redirect(f"{reverse('accounts:second_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        waiting = second_factor.throttled(user=request.user)
        device = second_factor.verify(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            response = redirect(_next_url(request))
            if form.cleaned_data["remember"]:
                response.set_cookie(
                    second_factor.REMEMBER_COOKIE,
                    second_factor.remember_cookie_value(user=request.user, device=device),
                    max_age=settings.OTP_REMEMBER_DAYS * 24 * 3600,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
        form.add_error("token", WAIT if waiting else WRONG_CODE)
    return render(request, "accounts/second_factor_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def second_factor_setup(request):
    """Enrol an authenticator: a QR code drawn by the page, then a code from the app to confirm.
    Replacing an authenticator needs the session to have passed the current one first."""
    if second_factor.has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('accounts:second_factor_verify')}?{urlencode({'next': request.get_full_path()})}")
    device = None
    if request.method == "POST":
        device = TOTPDevice.objects.filter(
            user=request.user, confirmed=False, pk=request.session.get(ENROLMENT_SESSION_KEY)
        ).first()
    if device is None:
        device = second_factor.totp_enrolment_start(user=request.user)
        request.session[ENROLMENT_SESSION_KEY] = device.pk
        form = EnrolmentForm()
    else:
        form = EnrolmentForm(request.POST)
        if form.is_valid():
            codes = second_factor.totp_enrolment_confirm(
                user=request.user, device=device, token=form.cleaned_data["token"]
            )
            if codes is not None:
                django_otp.login(request, device)
                request.session.pop(ENROLMENT_SESSION_KEY, None)
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
            form.add_error("token", WRONG_CODE)
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(
                second_factor.totp_qr_svg(device)
            ),  # segno draws the address as paths: no text to escape
            "secret": b32encode(device.bin_key).decode(),
            "next": _next_url(request),
        },
    )


@login_required
@require_POST
def recovery_codes_new(request):
    if not request.user.is_verified():
        return redirect("accounts:second_factor_verify")
    codes = second_factor.recovery_codes_issue(user=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:second_factor")})


# --- Accounts ------------------------------------------------------------------------------


def _accounts_for(user):
    return selectors.accounts_managed_by(user)


@login_required
def account_list(request):
    access.require_account_scope(request.user)
    waiting = request.GET.get("waiting") == "1"
    accounts = _accounts_for(request.user)
    if waiting:
        accounts = selectors.waiting_for_role(accounts)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/account_list.html", {"page": page, "waiting": waiting})


@login_required
def account_invite(request):
    access.require_account_scope(request.user)
    form = InviteForm(request.POST or None, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.account_invite(
                acting_user=request.user,
                username=data["username"],
                email=data["email"],
                role=data["role"],
                university=data.get("university"),
                can_certify=data.get("can_certify", False),
                programs=data.get("programs") or [],
                site_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("招待のメールを送りました。"))
            return redirect("accounts:account", pk=account.pk)
    return render(request, "accounts/account_invite.html", {"form": form})


@login_required
def account_detail(request, pk):
    """An account's role, the form to change it, stopping it, and every change made to it."""
    account = get_object_or_404(_accounts_for(request.user), pk=pk)
    membership = getattr(account, "membership", None)
    federated = getattr(account, "federated_identity", None)
    initial = {
        "role": membership.role if membership else None,
        # a person waiting for a role: the university their identity provider named
        "university": membership.university_id if membership else getattr(federated, "university_id", None),
        "can_certify": membership.can_certify if membership else False,
        "programs": list(membership.programs.all()) if membership else [],
    }
    form = MembershipForm(request.POST or None, initial=initial, acting_user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.account_change_role(
                acting_user=request.user,
                account=account,
                role=data["role"],
                university=data.get("university"),
                can_certify=data.get("can_certify", False),
                programs=data.get("programs") or [],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if changed:
                messages.success(request, _("役割を変更しました。この利用者のログインはすべて終了しました。"))
            return redirect("accounts:account", pk=account.pk)
    events = account.account_events.all()[:50]
    return render(
        request,
        "accounts/account_detail.html",
        {"account": account, "form": form, "events": events, "federated": federated},
    )


@login_required
@require_POST
def account_active(request, pk):
    account = get_object_or_404(_accounts_for(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.account_set_active(acting_user=request.user, account=account, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("利用を再開しました。")
            if active
            else _("利用を停止しました。この利用者のログインはすべて終了しました。"),
        )
    return redirect("accounts:account", pk=account.pk)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation's link: the person chooses a password (Django's validators apply)."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, _("パスワードを設定しました。ログインしてください。"))
        return super().form_valid(form)
