"""The SAML service provider's configuration (djangosaml2 / pysaml2), built from plain values so
that settings (from the environment) and the tests build it the same way. Imports no app."""

from __future__ import annotations

import shutil
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

SP_PATH = "/accounts/saml/"


def saml_config(
    *, base_url: str, idp_metadata: str, key_file: str = "", cert_file: str = "", debug: bool = False
) -> dict[str, Any]:
    """pysaml2's SP configuration. `idp_metadata` is a file path or an https:// address.

    Assertions must be signed by the provider (its key is in its metadata) and are accepted only
    in answer to a request this service made (no unsolicited responses): a changed, replayed or
    expired assertion is refused by pysaml2.
    """
    base = base_url.rstrip("/")
    metadata = (
        {"remote": [{"url": idp_metadata}]}
        if idp_metadata.startswith(("https://", "http://"))
        else {"local": [idp_metadata]}
    )
    config: dict[str, Any] = {
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "entityid": f"{base}{SP_PATH}metadata/",
        "debug": debug,
        "metadata": metadata,
        "service": {
            "sp": {
                "name": "phdsupport",
                "endpoints": {
                    "assertion_consumer_service": [(f"{base}{SP_PATH}acs/", BINDING_HTTP_POST)],
                    "single_logout_service": [(f"{base}{SP_PATH}ls/", BINDING_HTTP_REDIRECT)],
                },
                "allow_unsolicited": False,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "authn_requests_signed": bool(key_file),
                "name_id_format_allow_create": True,
            }
        },
        "accepted_time_diff": 60,
    }
    if key_file and cert_file:
        config["key_file"] = key_file
        config["cert_file"] = cert_file
        config["encryption_keypairs"] = [{"key_file": key_file, "cert_file": cert_file}]
    return config


def organisation_map(text: str) -> dict[str, str]:
    """`value=university,value=university` (a university by id or by its Japanese name) → dict."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {value.strip(): university.strip() for value, university in pairs}
