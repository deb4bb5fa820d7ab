"""Application properties refuse bad values naming the property and the rule, and keep good ones."""

from __future__ import annotations

import pytest

from emswebhook_gui.rules import properties
from emswebhook_gui.errors import ValidationError

PEM_CA = """-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIUQJ0N1Ck5dJ0YwLwYzZ1oO7kG3kIwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
"""


def refused(key, value) -> str:
    with pytest.raises(ValidationError) as info:
        properties.parse_property(key, value)
    (error,) = info.value.errors
    assert error.field == key
    return error.message


def test_defaults_of_the_new_properties():
    assert properties.PROPERTIES["retentionSuccessfulDays"].default == 30
    assert properties.PROPERTIES["retentionFailedDays"].default == 90
    assert properties.PROPERTIES["metricsOpen"].default is False
    assert properties.PROPERTIES["alertSmtpPort"].default == 587


def test_proxy_url_keeps_host_and_port_and_refuses_a_password():
    assert properties.parse_property("httpProxy", " http://proxy.corp:3128/ ") == "http://proxy.corp:3128"
    assert properties.parse_property("httpProxy", "") == ""
    assert "keyring" in refused("httpProxy", "http://alice:s3cret@proxy.corp:3128")
    assert "http://" in refused("httpProxy", "socks5://proxy.corp:1080")
    assert "path" in refused("httpProxy", "http://proxy.corp:3128/x")


def test_no_proxy_accepts_hosts_domains_and_cidrs():
    value = properties.parse_property("noProxy", " erp.internal, .example.com,10.0.0.0/8 ,127.0.0.1,*")
    assert value == "erp.internal,.example.com,10.0.0.0/8,127.0.0.1,*"
    assert "CIDR" in refused("noProxy", "erp.internal, not a host")


def test_ca_bundle_is_checked_when_set(tmp_path):
    assert "absolute" in refused("caBundle", "relative/ca.pem")
    assert "cannot read" in refused("caBundle", str(tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    assert "no PEM certificate" in refused("caBundle", str(junk))
    broken = tmp_path / "broken.pem"
    broken.write_text(PEM_CA)
    assert "not a readable PEM" in refused("caBundle", str(broken))


def test_retention_days_and_alert_addresses():
    assert properties.parse_property("retentionFailedDays", "0") == 0
    assert "0 (keep forever)" in refused("retentionSuccessfulDays", -1)
    assert "whole number" in refused("retentionSuccessfulDays", "a month")
    assert properties.parse_property("alertEmailTo", "ops@example.com; dev@example.com") == \
        "ops@example.com, dev@example.com"
    assert "e-mail address" in refused("alertEmailTo", "ops at example.com")
    assert "host name" in refused("alertSmtpHost", "smtp example com")
    assert "http" in refused("alertWebhookUrl", "ftp://ops.example.com/hook")
