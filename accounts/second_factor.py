"""The second factor (issue #17 item 2): TOTP with single-use recovery codes, from django-otp.

Who must pass one is decided in phdsupport.access (`needs_second_factor`); this module enrols
devices, checks codes and remembers a browser for a while. A remembered browser is a signed
cookie naming the person, the device and the person's session hash (which changes with the
password), valid for OTP_REMEMBER_DAYS; removing the device or changing the password ends it.
"""

from __future__ import annotations

from typing import Any

import django_otp
import segno
from django.conf import settings
from django.core import signing
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
REMEMBER_COOKIE = "phd_otp_remember"
REMEMBER_SALT = "accounts.second_factor.remember"
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def confirmed_devices(user: Any) -> list[Device]:
    return list(django_otp.devices_for_user(user, confirmed=True))


def has_second_factor(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_enrolment_start(*, user: Any) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (an earlier unconfirmed one is replaced)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code drawn here: no image leaves the server."""
    return segno.make(device.config_url, error="m").svg_inline(border=2, dark="#111", light="#fff", omitsize=True)


@transaction.atomic
def totp_enrolment_confirm(*, user: Any, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows; replace any earlier one and issue fresh
    recovery codes (returned once, to be shown once). None when the code is wrong."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_issue(user=user)


@transaction.atomic
def recovery_codes_issue(*, user: Any) -> list[str]:
    """Ten new single-use recovery codes; the earlier ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify(*, user: Any, token: str) -> Device | None:
    """The device that accepts `token`: six digits go to the authenticator, anything else is a
    recovery code (deleted as it is used). Each device throttles its own failures."""
    token = token.strip().replace(" ", "").lower()
    model = TOTPDevice if token.isdigit() else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


def throttled(*, user: Any) -> bool:
    """Whether failures have locked the person's codes for now (django-otp doubles the wait
    after each failure, so guessing six digits takes years)."""
    devices = [*TOTPDevice.objects.filter(user=user, confirmed=True), *StaticDevice.objects.filter(user=user)]
    return any(not device.verify_is_allowed()[0] for device in devices)


def remember_cookie_value(*, user: Any, device: Device) -> str:
    return signing.dumps(
        {"user": user.pk, "device": device.persistent_id, "session": user.get_session_auth_hash()}, salt=REMEMBER_SALT
    )


def remembered_device(*, user: Any, value: str | None) -> Device | None:
    """The device a remembered browser passed with, while the cookie is young enough and still
    names this person, their current password and a device they still have."""
    if not value:
        return None
    try:
        data = signing.loads(value, salt=REMEMBER_SALT, max_age=settings.OTP_REMEMBER_DAYS * 24 * 3600)
    except signing.BadSignature:
        return None
    if data.get("user") != user.pk or data.get("session") != user.get_session_auth_hash():
        return None
    device = Device.from_persistent_id(data.get("device", ""))
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device
