"""Demo second factors: the demo accounts that must pass one share a published TOTP secret, so
`make demo`, the browser tests and the production smoke test can sign in (issue #17).

The secret is public: it only ever belongs to demo accounts made by `load_demo`.
"""

from __future__ import annotations

import time
from base64 import b32decode
from binascii import hexlify

from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, as an authenticator app takes it
DEMO_DEVICE_NAME = "demo"


def demo_totp_key_hex() -> str:
    return hexlify(b32decode(DEMO_TOTP_SECRET)).decode()


def demo_second_factor(*, user) -> TOTPDevice:
    """Enrol the demo authenticator for `user` (replacing an earlier demo one)."""
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, name=DEMO_DEVICE_NAME, defaults={"key": demo_totp_key_hex(), "confirmed": True, "last_t": -1}
    )
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code `device` accepts next: the current one, or the following step's when the current
    one was used already (django-otp refuses a code twice; its tolerance takes the next step).
    Waits for the clock when even that one is spent (three sign-ins within one step)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    while totp.t() + device.tolerance <= device.last_t:
        time.sleep(1)
        totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def demo_totp_code(username: str) -> str:
    """The code the demo account `username` accepts next (the smoke test signs in with it)."""
    user = get_user_model().objects.get(username=username)
    return totp_code(TOTPDevice.objects.get(user=user, name=DEMO_DEVICE_NAME, confirmed=True))
