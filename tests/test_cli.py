"""The `emswebhook` command as a user runs it: exit codes 0/2/1, --json, secrets from stdin only."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.support.cli import runner_on


@pytest.fixture
def run(db_url, monkeypatch, capsys):
    """The CLI in-process on the test database (SQLite and PostgreSQL), its schema created."""
    return runner_on(db_url, monkeypatch, capsys)


def add_basic(run, name="P1"):
    return run("profile", "add", "--name", name, "--type", "basic", "--username", "bob",
               "--password-stdin", stdin="pa55word\n")


def test_profiles_from_the_shell(run, memory_keyring):
    assert add_basic(run)[0] == 0
    code, out, _ = run("profile", "add", "--name", "O1", "--type", "oauth", "--token-url",
                       "https://auth.example.com/token", "--client-id", "cid", "--client-secret-stdin",
                       "--scope", "read", stdin="cl1ent-secret\n")
    assert code == 0 and "O1" in out
    code, out, _ = run("profile", "list", "--json")
    profiles = json.loads(out)
    assert [p["name"] for p in profiles] == ["O1", "P1"]
    assert "pa55word" not in out and "cl1ent-secret" not in out
    assert sorted(memory_keyring.secrets.values()) == ["cl1ent-secret", "pa55word"]
    code, out, _ = run("profile", "list")
    assert "NAME" in out and "bob" in out
    assert run("profile", "delete", "O1")[0] == 0
    code, _, err = run("profile", "delete", "O1")
    assert code == 2 and "no authentication profile named 'O1'" in err


def test_secrets_are_never_accepted_on_the_command_line(run):
    with pytest.raises(SystemExit) as info:
        run("profile", "add", "--name", "P", "--type", "basic", "--username", "u", "--password", "x")
    assert info.value.code == 2
    code, _, err = run("profile", "add", "--name", "P", "--type", "basic", "--username", "u")
    assert code == 2 and "--password-stdin" in err


def test_webhooks_from_the_shell(run):
    add_basic(run)
    code, out, err = run("webhook", "add", "--name", "W1", "--event", "Entitlement Added", "--url",
                         "https://hooks.example.com/x", "--profile", "P1", "--activity", "Add Entitlement",
                         "--include-data", "no", "--description", "orders")
    assert code == 0, err
    code, out, _ = run("webhook", "show", "W1", "--json")
    shown = json.loads(out)
    assert shown["activities"] == ["Add Entitlement"] and shown["includeData"] is False
    assert run("webhook", "disable", "W1")[0] == 0
    assert json.loads(run("webhook", "list", "--json")[1])[0]["enabled"] is False
    assert run("webhook", "enable", "W1")[0] == 0
    code, out, _ = run("webhook", "update", "W1", "--all-activities", "--condition", "entitlement.state=='ENABLE'")
    assert code == 0
    shown = json.loads(run("webhook", "show", "W1", "--json")[1])
    assert shown["activities"] == [] and shown["triggerCondition"] == "entitlement.state == 'ENABLE'"
    code, out, _ = run("webhook", "list")
    assert "W1" in out and "(all)" in out
    assert run("webhook", "delete", "W1")[0] == 0
    assert json.loads(run("webhook", "list", "--json")[1]) == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--name", "x" * 101], "at most 100"),
        (["--event", "Add entitlement"], "did you mean 'Entitlement Added'"),
        (["--url", "https://h.example.com/a b"], "endpointUrl"),
        (["--activity", "Add Namespace"], "not an activity of 'Entitlement Added'"),
        (["--profile", "Missing"], "no authentication profile named 'Missing'"),
        (["--description", "d" * 501], "at most 500"),
    ],
)
def test_refused_webhooks_exit_2_with_a_message(run, args, needle):
    add_basic(run)
    base = {"--name": "W", "--event": "Entitlement Added", "--url": "https://h.example.com/", "--profile": "P1"}
    argv = ["webhook", "add"]
    for key, value in base.items():
        if key not in args:
            argv += [key, value]
    code, out, err = run(*argv, *args)
    assert code == 2 and needle in err and out == ""
    assert json.loads(run("webhook", "list", "--json")[1]) == []


def test_yes_no_options_are_checked(run):
    with pytest.raises(SystemExit) as info:
        run("webhook", "add", "--name", "W", "--event", "Entitlement Added", "--url", "https://h.example.com/",
            "--profile", "P1", "--enabled", "perhaps")
    assert info.value.code == 2


def test_catalog_and_config(run):
    code, out, _ = run("catalog", "events", "--json")
    events = json.loads(out)
    assert len(events) == 62 and events[0]["event"] == "Entitlement Added"
    assert run("config", "get", "allowPrivateEndpoints")[1].strip() == "false"
    assert run("config", "set", "allowPrivateEndpoints", "yes")[0] == 0
    assert run("config", "get", "allowPrivateEndpoints")[1].strip() == "true"
    code, _, err = run("config", "set", "timeZoneForExpirationEvents", "Nowhere/City")
    assert code == 2 and "IANA" in err
    code, _, err = run("config", "get", "colour")
    assert code == 2 and "not an application property" in err


def test_unusable_database_url_exits_2(run):
    code, _, err = run("--db", "mysql://u@h/db", "webhook", "list")
    assert code == 2 and "not supported" in err


def test_installed_console_script_end_to_end(tmp_path):
    """The real `emswebhook` entry point in child processes sharing one file-backed test keyring."""
    env = {**os.environ, "EMSWEBHOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PYTHON_KEYRING_BACKEND": "tests.support.keyrings.FileKeyring",
           "EMSWEBHOOK_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"), "PYTHONPATH": str(REPO)}
    exe = os.path.join(os.path.dirname(sys.executable), "emswebhook")

    def sh(*argv, stdin=""):
        return subprocess.run([exe, *argv], input=stdin, capture_output=True, text=True, env=env, timeout=60)

    assert sh("profile", "add", "--name", "P", "--type", "basic", "--username", "u", "--password-stdin",
              stdin="s3cr3t-value\n").returncode == 0
    done = sh("webhook", "add", "--name", "W", "--event", "Entitlement Added", "--url",
              "https://h.example.com/", "--profile", "P")
    assert done.returncode == 0, done.stderr
    refused = sh("profile", "delete", "P")
    assert refused.returncode == 2 and "used by webhook 'W'; change or delete it first" in refused.stderr
    assert b"s3cr3t-value" not in (tmp_path / "cli.db").read_bytes()
    listed = sh("webhook", "list", "--json")
    assert json.loads(listed.stdout)[0]["authProfile"] == "P"


def test_condition_check_with_a_state_nested_too_deeply_says_so(run, tmp_path):
    state = tmp_path / "deep.json"
    state.write_text('{"a":' * 5000 + "1" + "}" * 5000)
    code, _, err = run("condition", "check", "entitlement.state=='ENABLE'", "--state", str(state))
    assert code == 2 and "nested too deeply" in err
