"""Authentication profiles: rules, secrets in the keyring only, and a keyring that is missing."""

import pytest
from keyring.backends import fail
from sqlalchemy import text

from emswebhook_gui.errors import ValidationError
from emswebhook_gui.secrets import SecretStore, SecretStoreUnavailable
from emswebhook_gui.service import WebhookService

pytestmark = pytest.mark.asyncio

BASIC = {"name": "Basic", "type": "basic", "username": "svc-user", "password": "B4sic-S3cret-pw!"}
OAUTH = {"name": "OAuth", "type": "oauth", "tokenUrl": "https://auth.example.com/oauth/token",
         "clientId": "client-123", "clientSecret": "0auth-Cl1ent-S3cret", "scope": "webhooks",
         "audience": "https://api.example.com"}


async def test_basic_and_oauth_profiles_never_show_their_secret(service, memory_keyring):
    basic = await service.create_profile(BASIC)
    oauth = await service.create_profile(OAUTH)
    assert basic == {**basic, "type": "basic", "username": "svc-user", "usedBy": []}
    assert oauth["clientId"] == "client-123" and oauth["scope"] == "webhooks"
    for profile in await service.list_profiles():
        assert "password" not in profile and "clientSecret" not in profile
        assert BASIC["password"] not in repr(profile) and OAUTH["clientSecret"] not in repr(profile)
    assert await service.profile_secret(basic["id"]) == BASIC["password"]
    assert await service.profile_secret(oauth["id"]) == OAUTH["clientSecret"]


async def test_no_secret_byte_reaches_the_database(service, db_url):
    await service.create_profile(BASIC)
    await service.create_profile(OAUTH)
    await service.update_profile("Basic", {"password": "N3w-Rotated-pw"})
    secrets = [BASIC["password"], OAUTH["clientSecret"], "N3w-Rotated-pw"]
    if db_url.startswith("sqlite"):
        await service.close()
        path = db_url.removeprefix("sqlite:///")
        from pathlib import Path

        files = list(Path(path).parent.glob(Path(path).name + "*"))
        blob = b"".join(f.read_bytes() for f in files)
        assert b"svc-user" in blob  # the scan would see a secret if one were there
        for secret in secrets:
            assert secret.encode() not in blob
        service.db = type(service.db)(db_url)  # reopen so the fixture can close it
    else:
        def dump(session):
            rows = []
            for table in ("auth_profiles", "webhooks", "app_properties"):
                rows += [repr(tuple(r)) for r in session.execute(text(f"SELECT * FROM {table}"))]
            return "\n".join(rows)

        everything = await service.db.run(dump)
        assert "svc-user" in everything
        for secret in secrets:
            assert secret not in everything


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**BASIC, "password": ""}, "password"),
        ({k: v for k, v in BASIC.items() if k != "username"}, "username"),
        ({**BASIC, "type": "digest"}, "type"),
        ({**BASIC, "name": "x" * 101}, "name"),
        ({**OAUTH, "tokenUrl": "not a url"}, "tokenUrl"),
        ({k: v for k, v in OAUTH.items() if k != "clientId"}, "clientId"),
        ({k: v for k, v in OAUTH.items() if k != "clientSecret"}, "clientSecret"),
        ({**BASIC, "clientId": "x"}, "clientId"),
        ({**BASIC, "secret": "x"}, "secret"),
    ],
)
async def test_profile_rules(service, data, field):
    with pytest.raises(ValidationError) as info:
        await service.create_profile(data)
    assert info.value.for_field(field)
    assert await service.list_profiles() == []


async def test_profile_names_unique_ignoring_case(service):
    await service.create_profile(BASIC)
    with pytest.raises(ValidationError) as info:
        await service.create_profile({**OAUTH, "name": "BASIC"})
    assert "already exists" in info.value.for_field("name")


async def test_update_keeps_the_secret_unless_given_and_type_change_needs_one(service):
    await service.create_profile(BASIC)
    profile = await service.update_profile("Basic", {"username": "other"})
    assert profile["username"] == "other"
    assert await service.profile_secret(profile["id"]) == BASIC["password"]
    with pytest.raises(ValidationError) as info:
        await service.update_profile("Basic", {"type": "oauth", "tokenUrl": OAUTH["tokenUrl"], "clientId": "c"})
    assert info.value.for_field("clientSecret")
    changed = await service.update_profile(
        "Basic", {"type": "oauth", "tokenUrl": OAUTH["tokenUrl"], "clientId": "c", "clientSecret": "s2"})
    assert changed["type"] == "oauth" and "username" not in changed
    assert await service.profile_secret(profile["id"]) == "s2"


async def test_without_a_keyring_saving_fails_with_advice_and_stores_nothing(db_url):
    service = await WebhookService.open(db_url, secrets=SecretStore(fail.Keyring()))
    try:
        with pytest.raises(SecretStoreUnavailable) as info:
            await service.create_profile(BASIC)
        message = str(info.value)
        assert "PYTHON_KEYRING_BACKEND" in message and "keyring" in message.lower()
        assert BASIC["password"] not in message
        assert await service.list_profiles() == []
    finally:
        await service.close()


async def test_properties_are_typed_and_validated(service):
    assert await service.get_property("allowPrivateEndpoints") is False
    assert await service.set_property("allowPrivateEndpoints", "yes") is True
    assert await service.get_property("allowPrivateEndpoints") is True
    assert await service.set_property("timeZoneForExpirationEvents", "Asia/Kolkata") == "Asia/Kolkata"
    with pytest.raises(ValidationError) as info:
        await service.set_property("timeZoneForExpirationEvents", "Mars/Olympus")
    assert "IANA" in str(info.value)
    with pytest.raises(ValidationError):
        await service.set_property("allowPrivateEndpoint", "yes")
    with pytest.raises(ValidationError):
        await service.get_property("nope")
    assert (await service.list_properties())["timeZoneForExpirationEvents"] == "Asia/Kolkata"


async def test_file_backends_are_used_only_when_chosen(monkeypatch, tmp_path):
    """keyrings.alt's plaintext file backend would be picked automatically on a headless Linux;
    the app refuses it unless the user named it (PYTHON_KEYRING_BACKEND)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-keyringrc"))
    keyring.set_keyring(PlaintextKeyring())  # what keyring's own choice gives on this machine
    store = SecretStore()
    assert not store.available()
    with pytest.raises(SecretStoreUnavailable) as info:
        store.set("k", "v")
    assert "keyrings.alt.file.PlaintextKeyring" in str(info.value)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    assert store.available()
