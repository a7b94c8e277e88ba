"""Federated sign-in end to end (issue #17 item 4): a SAML 2.0 identity provider played by
pysaml2 inside the test, with its own keys and metadata made here, against djangosaml2 as the
service provider. Sign-in, the organisation mapped to a university, an unknown organisation
refused, a changed assertion and an expired one refused."""

import base64
import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.auth import get_user_model
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

from accounts.models import FederatedIdentity
from phdsupport.saml import saml_config
from tests.factories import UniversityFactory, user_with_role

pytestmark = pytest.mark.django_db

SP_BASE = "http://testserver"
IDP_ENTITY = "https://idp.test.example.ac.jp/idp/shibboleth"
IDP_SSO = "https://idp.test.example.ac.jp/idp/sso"


def key_pair(directory, name):
    """A private key and a self-signed certificate, written as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def idp_config(directory, sp_metadata_file, lifetime_minutes=15):
    key_file, cert_file = key_pair(directory, "idp")
    config = IdPConfig()
    config.load(
        {
            "entityid": IDP_ENTITY,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": key_file,
            "cert_file": cert_file,
            "metadata": {"local": [sp_metadata_file]},
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(IDP_SSO, BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": lifetime_minutes},
                            "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                        }
                    },
                }
            },
        }
    )
    return config


@pytest.fixture
def federation(tmp_path, settings):
    """Our service provider configured against a fresh identity provider; returns a function
    that signs in through it with the given attributes."""
    sp_key, sp_cert = key_pair(tmp_path, "sp")
    idp_metadata_file = tmp_path / "idp.xml"
    sp_metadata_file = tmp_path / "sp.xml"
    # the SP's metadata first (the IdP reads it), then the IdP's (our settings read it)
    from saml2.config import SPConfig

    placeholder = tmp_path / "empty.xml"
    sp_conf = saml_config(base_url=SP_BASE, idp_metadata=str(placeholder), key_file=sp_key, cert_file=sp_cert)
    sp_conf["metadata"] = {}
    sp_config = SPConfig()
    sp_config.load(sp_conf)
    sp_metadata_file.write_text(create_metadata_string(None, config=sp_config, sign=False).decode())

    def make_idp(lifetime_minutes=15):
        config = idp_config(tmp_path, str(sp_metadata_file), lifetime_minutes)
        idp_metadata_file.write_text(create_metadata_string(None, config=config, sign=False).decode())
        return Server(config=config)

    idp = make_idp()
    settings.SAML_CONFIG = saml_config(
        base_url=SP_BASE, idp_metadata=str(idp_metadata_file), key_file=sp_key, cert_file=sp_cert
    )
    university = UniversityFactory(name_ja="甲大学")
    settings.SAML_ORG_UNIVERSITIES = {"kou.ac.jp": "甲大学"}

    def sign_in(client, attributes, *, server=None, tamper=None, next_url="/students/"):
        server = server or idp
        started = client.get(f"/accounts/saml/login/?next={next_url}")
        assert started.status_code == 302, started.content
        location = urlsplit(started["Location"])
        assert location.geturl().startswith(IDP_SSO)
        query = parse_qs(location.query)
        request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        response = server.create_authn_response(
            identity=attributes,
            in_response_to=request.message.id,
            destination=f"{SP_BASE}/accounts/saml/acs/",
            sp_entity_id=settings.SAML_CONFIG["entityid"],
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=attributes["eduPersonPrincipalName"][0]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_assertion=True,
            sign_response=True,
        )
        xml = str(response)
        if tamper:
            xml = tamper(xml)
        return client.post(
            "/accounts/saml/acs/",
            {"SAMLResponse": base64.b64encode(xml.encode()).decode(), "RelayState": query.get("RelayState", [""])[0]},
        )

    sign_in.university = university
    sign_in.make_idp = make_idp
    return sign_in


PERSON = {
    "eduPersonPrincipalName": ["alice@kou.ac.jp"],
    "schacHomeOrganization": ["kou.ac.jp"],
    "mail": ["alice@kou.ac.jp"],
}


def test_a_first_sign_in_makes_an_account_without_a_role_bound_to_the_mapped_university(client, federation):
    response = federation(client, PERSON)
    assert response.status_code == 302, response.content
    user = get_user_model().objects.get(username="alice@kou.ac.jp")
    assert not user.has_usable_password()
    assert user.email == "alice@kou.ac.jp"
    assert not hasattr(user, "membership") or user.membership is None
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.idp_entity_id, identity.university) == (IDP_ENTITY, federation.university)
    # signed in, but with no role: no rows are shown until an administrator gives one
    assert client.get("/students/").status_code == 403


def test_a_person_with_a_role_lands_in_their_universitys_workspace(client, federation):
    federation(client, PERSON)
    user = get_user_model().objects.get(username="alice@kou.ac.jp")
    from students.models import Membership

    Membership.objects.create(user=user, role="university_staff", university=federation.university)
    client.logout()
    response = federation(client, PERSON)
    assert response["Location"] == "/students/"
    assert client.get("/students/").status_code == 200


def test_an_unknown_organisation_is_refused(client, federation):
    response = federation(client, {**PERSON, "schacHomeOrganization": ["elsewhere.example.org"]})
    assert response.status_code == 403
    assert b'id="federated-sign-in-refused"' in response.content
    assert not get_user_model().objects.filter(username="alice@kou.ac.jp").exists()


def test_staff_of_another_university_cannot_sign_in_through_this_organisation(client, federation):
    federation(client, PERSON)
    user = get_user_model().objects.get(username="alice@kou.ac.jp")
    from students.models import Membership

    Membership.objects.create(user=user, role="university_staff", university=UniversityFactory())
    client.logout()
    assert federation(client, PERSON).status_code == 403


def test_a_federated_sign_in_never_takes_over_a_local_account(client, federation):
    user_with_role("bob@kou.ac.jp", "administrator")
    response = federation(client, {**PERSON, "eduPersonPrincipalName": ["bob@kou.ac.jp"]})
    assert response.status_code == 403


def test_a_changed_assertion_is_refused(client, federation):
    response = federation(client, PERSON, tamper=lambda xml: xml.replace("alice@kou.ac.jp", "carol@kou.ac.jp"))
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username__in=["alice@kou.ac.jp", "carol@kou.ac.jp"]).exists()


def test_an_expired_assertion_is_refused(client, federation):
    expired = federation.make_idp(lifetime_minutes=-10)
    response = federation(client, PERSON, server=expired)
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="alice@kou.ac.jp").exists()


def test_without_configuration_the_saml_pages_do_not_exist(client, settings):
    settings.SAML_CONFIG = None
    assert client.get("/accounts/saml/login/").status_code == 404
    assert client.get("/accounts/saml/metadata/").status_code == 404


def test_the_sign_in_page_offers_the_federation_and_a_new_account_is_told_it_waits(client, federation):
    assert b'id="federated-sign-in"' in client.get("/accounts/login/").content
    federation(client, PERSON)
    assert b'id="waiting-for-role"' in client.get("/").content


def test_the_universitys_lead_staff_see_and_grant_a_waiting_federated_account(client, federation):
    """Issue #17 item 3: lead staff manage their own university's accounts, and the people the
    federation let in from their university wait for a role from them (not only an administrator).
    Another university's lead staff neither see nor grant them (404)."""
    from students.models import Membership

    # given: alice signs in through 甲大学 for the first time, and waits
    federation(client, PERSON)
    alice = get_user_model().objects.get(username="alice@kou.ac.jp")
    client.logout()
    lead = user_with_role("lead_kou", "university_staff", university=federation.university)
    Membership.objects.filter(user=lead).update(can_certify=True)
    other_lead = user_with_role("lead_otsu", "university_staff", university=UniversityFactory(name_ja="乙大学"))
    Membership.objects.filter(user=other_lead).update(can_certify=True)

    # the other university's lead staff: not listed, and the account answers 404
    client.force_login(other_lead)
    assert "alice@kou.ac.jp" not in client.get("/accounts/users/?waiting=1").content.decode()
    assert client.get(f"/accounts/users/{alice.pk}/").status_code == 404
    assert (
        client.post(
            f"/accounts/users/{alice.pk}/", {"role": "university_staff", "university": federation.university.pk}
        ).status_code
        == 404
    )

    # 甲大学's lead staff: the home page counts one waiting account, the list shows her with the
    # university the federation named, and the role form offers that university
    client.force_login(lead)
    home = client.get("/")
    waiting = [t for t in home.context["todos"] if t.url.endswith("?waiting=1")]
    assert [t.count for t in waiting] == [1]
    listing = client.get("/accounts/users/?waiting=1").content.decode()
    assert "alice@kou.ac.jp" in listing
    assert "甲大学" in listing
    page = client.get(f"/accounts/users/{alice.pk}/")
    assert page.status_code == 200
    assert page.context["form"].initial["university"] == federation.university.pk
    # granting anything but staff of their own university is refused, and nothing is written
    refused = client.post(f"/accounts/users/{alice.pk}/", {"role": "administrator"})
    assert refused.status_code == 200
    assert not Membership.objects.filter(user=alice).exists()
    granted = client.post(
        f"/accounts/users/{alice.pk}/", {"role": "university_staff", "university": federation.university.pk}
    )
    assert granted.status_code == 302
    alice.refresh_from_db()
    assert (alice.membership.role, alice.membership.university_id) == ("university_staff", federation.university.pk)
    event = alice.account_events.get()
    assert (event.kind, event.actor_name, event.before["role"], event.after["role"]) == (
        "role_changed",
        "lead_kou",
        None,
        "university_staff",
    )
    # and she now lands in her university's workspace
    client.logout()
    assert federation(client, PERSON)["Location"] == "/students/"
    assert client.get("/students/").status_code == 200


def test_a_federated_session_reads_the_user_membership_and_university_in_one_query(client, federation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from students.models import Membership

    federation(client, PERSON)
    user = get_user_model().objects.get(username="alice@kou.ac.jp")
    Membership.objects.create(user=user, role="university_staff", university=federation.university)
    client.logout()
    federation(client, PERSON)
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        assert "大学担当者 · 甲大学" in client.get("/").content.decode()
    (user_read,) = [q["sql"] for q in captured.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert 'JOIN "students_membership"' in user_read
    assert 'JOIN "students_university"' in user_read
    assert not [q for q in captured.captured_queries if 'FROM "students_membership"' in q["sql"]]
