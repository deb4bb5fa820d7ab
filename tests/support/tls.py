"""Certificates made by the test (``cryptography``): a private CA, leaf certificates it issues
(valid, expired, for another name) and self-signed ones, written as PEM files under a test's
temporary directory; and the server side of a TLS loopback endpoint that records the SNI names
it was asked for."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_NOW = dt.datetime.now(dt.UTC)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _san(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Leaf:
    cert: Path
    key: Path


class TestCA:
    """A private certificate authority; ``pem`` is its certificate, as a caBundle file."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, name: str = "Test Private CA") -> None:
        self.directory = directory
        self._key = _key()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(_name(name))
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_NOW - dt.timedelta(days=1)).not_valid_after(_NOW + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.pem, _ = _write(directory, "ca", self.cert, self._key)

    def issue(self, stem: str, hosts: list[str], *, expired: bool = False) -> Leaf:
        key = _key()
        if expired:
            before, after = _NOW - dt.timedelta(days=30), _NOW - dt.timedelta(days=1)
        else:
            before, after = _NOW - dt.timedelta(days=1), _NOW + dt.timedelta(days=10)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hosts[0])).issuer_name(self.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(before).not_valid_after(after)
            .add_extension(_san(hosts), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                           critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return Leaf(*_write(self.directory, stem, cert, key))


def self_signed(directory: Path, hosts: list[str]) -> Leaf:
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0])).issuer_name(_name(hosts[0]))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=1)).not_valid_after(_NOW + dt.timedelta(days=10))
        .add_extension(_san(hosts), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Leaf(*_write(directory, "self-signed", cert, key))


def server_context(leaf: Leaf, sni_seen: list[str | None] | None = None) -> ssl.SSLContext:
    """A TLS server context presenting ``leaf``; the SNI name of every handshake is appended to
    ``sni_seen`` (None when the client sent none)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.cert, leaf.key)
    if sni_seen is not None:
        def record(_socket, name, _context):
            sni_seen.append(name)
        context.sni_callback = record
    return context
