"""An emulator over HTTPS that remembers the Authorization header of every request, and Bedrock API keys.

botocore sends a bearer token (a Bedrock API key) only over TLS, so the tests of API keys need an HTTPS
emulator: a certificate for 127.0.0.1 is made at run time (a test CA and a server certificate it signs,
with `cryptography`), the emulator serves it through `start_embedded(ssl_certfile=..., ssl_keyfile=...)`,
and AWS_CA_BUNDLE names the CA. The emulator's ASGI app is wrapped (a subclass that notes the header,
then answers as the emulator does) so a test can see what was sent.

The keys are made in the public formats: short-term keys as aws-bedrock-token-generator makes them
(`bedrock-api-key-` + base64 of a SigV4-presigned URL without its scheme, then `&Version=1`), long-term
keys as `ABSK` + base64 of `BedrockAPIKey-<id>-at-<account>:<secret>`. Each carries a unique tag, so a
search for it cannot match anything by chance.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import core.emulator
from core.emulator import EmbeddedEmulator, start_embedded


@dataclass
class HttpsEmulator:
    emulator: EmbeddedEmulator
    ca_bundle: Path
    authorizations: list[str] = field(default_factory=list)  # the Authorization header of each request, in order

    @property
    def url(self) -> str:
        return self.emulator.url


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA, and a server certificate for 127.0.0.1 and localhost signed by it: (ca, cert, key) PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Bedrock Lab test CA")).issuer_name(_name("Bedrock Lab test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
              .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return paths


def start_https_emulator(folder: Path) -> HttpsEmulator:
    """An emulator on https://127.0.0.1:PORT (time scale 0) whose requests' Authorization headers are kept."""
    ca, cert, key = make_certificates(folder)
    seen: list[str] = []

    class Recording(core.emulator.Emulator):
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                seen.append(dict(scope["headers"]).get(b"authorization", b"").decode("latin-1"))
            await super().__call__(scope, receive, send)

    with pytest.MonkeyPatch.context() as patch:  # start_embedded builds its app from the module's Emulator
        patch.setattr(core.emulator, "Emulator", Recording)
        running = start_embedded(time_scale=0, seed=7, ssl_certfile=str(cert), ssl_keyfile=str(key))
    return HttpsEmulator(running, ca, seen)


def short_term_key(region: str = "us-west-2", *, signed_at: dt.datetime | None = None, expires_s: int = 43200,
                   tag: str | None = None) -> str:
    """A key in the short-term format. With `signed_at` its X-Amz-Date is that moment; otherwise it is presigned by
    botocore now, as aws-bedrock-token-generator does it (SigV4 query auth of the CallWithBearerToken URL)."""
    tag = tag or uuid.uuid4().hex.upper()
    if signed_at is None:
        request = AWSRequest(method="POST", url="https://bedrock.amazonaws.com/",
                             headers={"host": "bedrock.amazonaws.com"}, params={"Action": "CallWithBearerToken"})
        SigV4QueryAuth(Credentials(f"ASIA{tag[:16]}", f"secret{tag}", f"session{tag}"), "bedrock", region,
                       expires=expires_s).add_auth(request)
        url = request.url.replace("https://", "")
    else:
        credential = urllib.parse.quote(f"ASIA{tag[:16]}/{signed_at:%Y%m%d}/{region}/bedrock/aws4_request", safe="")
        url = ("bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256"
               f"&X-Amz-Credential={credential}&X-Amz-Date={signed_at:%Y%m%dT%H%M%SZ}&X-Amz-Expires={expires_s}"
               f"&X-Amz-SignedHeaders=host&X-Amz-Security-Token=session{tag}&X-Amz-Signature={tag.lower() * 2}")
    return "bedrock-api-key-" + base64.b64encode(f"{url}&Version=1".encode()).decode()


def long_term_key(tag: str | None = None) -> str:
    tag = tag or uuid.uuid4().hex.upper()
    return "ABSK" + base64.b64encode(f"BedrockAPIKey-{tag[:4].lower()}-at-123456789012:{tag}{tag}".encode()).decode()
