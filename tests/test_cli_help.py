"""The `emswebhook` command's help and wording: every option and subcommand says what it is for,
every subcommand shows an example that the real parser accepts, counts are in words, a wrong
activity lists the right ones, and condition paths off the catalogue are warned about."""

import argparse
import shlex
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from emswebhook_gui import catalog, cli
from emswebhook_gui.store import Database
from emswebhook_gui.store.models import Notification, NotificationPayload, Occurrence
from tests.support.cli import runner_on


def parsers(parser: argparse.ArgumentParser, path=("emswebhook",)):
    """(command path, parser) for the root and every subcommand, depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def test_every_option_and_subcommand_has_help_and_an_example():
    walked = list(parsers(cli.build_parser()))
    assert len(walked) > 30
    for path, parser in walked:
        for action in parser._actions:
            assert (action.help or "").strip(), f"{' '.join(path)}: {action.option_strings or action.dest} has no help"
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert (choice.help or "").strip(), f"{' '.join(path)} {choice.dest} has no help line"
        epilog = parser.epilog or ""
        assert "example:\n" in epilog, f"{' '.join(path)} has no example"
        examples = [line.strip() for line in epilog.split("example:\n", 1)[1].split("\n\n")[0].splitlines()]
        assert examples and all("emswebhook" in line for line in examples), path
        for line in examples:
            # the command after a pipe or inside $( ), as the real parser reads it
            command = line[line.index("emswebhook "):].removesuffix(")")
            argv = shlex.split(command)[1:]
            try:
                args = cli.build_parser().parse_args(argv)
            except SystemExit:
                pytest.fail(f"the example of {' '.join(path)} does not parse: {line}")
            leaf = path[1:]
            if len(leaf) == 2 or (len(leaf) == 1 and not any(
                    isinstance(a, argparse._SubParsersAction) for a in parser._actions)):
                assert (args.command, getattr(args, "action", None) or None) == (leaf[0], leaf[1] if len(leaf) > 1
                                                                               else None), line


def test_help_prints_the_example(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["events", "retry", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "example:\n  emswebhook events retry --event-id " in out
    assert "only notifications of this webhook" in out


def test_catalog_events_lists_activity_names(capsys):
    assert cli.main(["catalog", "events", "--activities"]) == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert len(blocks) == len(catalog.events()) == 62
    for block, event in zip(blocks, catalog.events()):
        lines = block.splitlines()
        assert lines[0] == event.name
        assert lines[1:] == [f"  {activity}" for activity in event.activities]


@pytest.fixture
def run(sqlite_url, monkeypatch, capsys):
    return runner_on(sqlite_url, monkeypatch, capsys)


def failed_notifications(url: str, count: int) -> list[str]:
    """FAILED notifications written straight to the store (no delivery needed to reach the state)."""
    now = datetime.now(UTC)
    db = Database(url)
    with db.session() as session:
        occurrence = str(uuid.uuid4())
        session.execute(insert(Occurrence), [{
            "id": occurrence, "event_name": "Entitlement Added", "entity_name": "Entitlement",
            "activity_name": "Add Entitlement", "entity_id": "e", "url": "", "request_id": "r",
            "current_state": None, "previous_state": None, "op_datetime": now, "created_at": now}])
        ids = [str(uuid.uuid4()) for _ in range(count)]
        session.execute(insert(Notification), [{
            "event_id": event_id, "occurrence_id": occurrence, "webhook_id": str(uuid.uuid4()), "webhook_name": "Gone",
            "event_name": "Entitlement Added", "activity_name": "Add Entitlement", "entity_id": "e",
            "endpoint_url": "https://hooks.example.com/x", "status": "FAILED", "round_kind": "auto",
            "round_attempts": 4, "attempts": 4, "next_attempt_at": None, "last_status_code": 503,
            "last_error": "HTTP 503", "created_at": now, "updated_at": now} for event_id in ids])
        session.execute(insert(NotificationPayload), [{"event_id": event_id, "payload": "{}"} for event_id in ids])
    db.close()
    return ids


def test_counts_are_in_words(run, sqlite_url):
    first, *_rest = failed_notifications(sqlite_url, 4)
    assert run("events", "retry", "--event-id", first)[:2] == (0, "retrying 1 notification\n")
    assert run("events", "mark-successful", "--status", "FAILED")[:2] == (0, "marked 3 notifications successful\n")
    assert run("events", "retry", "--status", "FAILED")[:2] == (0, "retrying 0 notifications\n")


def test_publish_with_a_wrong_activity_lists_the_valid_ones(run):
    code, out, err = run("publish", "--event", "Entitlement Added", "--activity", "Add Entitlements", "--entity-id", "1")
    assert code == 2 and out == ""
    event = catalog.get_event("Entitlement Added")
    assert err.strip() == (f"emswebhook: activity: 'Add Entitlements' is not an activity of 'Entitlement Added'; did "
                           f"you mean 'Add Entitlement'? (its activities: {', '.join(event.activities)})")


MIXED = ("entitlment.state == 'ENABLE' && entitlement.customer.name == 'Sam' && entitlement.customer.name.first == 'S'"
         " && entitlement.customer.nmae == 'x' && entitlement.customer != null")


def warnings(err: str) -> list[str]:
    return [line.split("starts with '", 1)[1].split("'", 1)[0] for line in err.splitlines()
            if line.startswith("emswebhook: warning: triggerCondition: no attribute of 'Entitlement Added'")]


def test_condition_check_warns_about_paths_off_the_catalogue(run):
    code, out, err = run("condition", "check", MIXED, "--event", "Entitlement Added")
    assert code == 0 and out.startswith("entitlment.state == 'ENABLE' && ")
    # a typo is warned about; known attributes, deeper paths and their parents are not
    assert warnings(err) == ["entitlment.state", "entitlement.customer.nmae"]
    code, _, err = run("condition", "check", "entitlement.state == 'ENABLE'", "--event", "Entitlement Added")
    assert code == 0 and err == ""
    code, _, err = run("condition", "check", MIXED)  # no event: nothing to compare with
    assert code == 0 and err == ""


def test_webhook_add_gives_the_same_warning(run):
    assert run("profile", "add", "--name", "P", "--type", "basic", "--username", "u", "--password-stdin",
               stdin="pw\n")[0] == 0
    code, out, err = run("webhook", "add", "--name", "W", "--event", "Entitlement Added", "--url",
                         "https://hooks.example.com/x", "--profile", "P", "--condition", MIXED)
    assert code == 0 and out.startswith("created webhook 'W'")
    assert warnings(err) == ["entitlment.state", "entitlement.customer.nmae"]
    code, _, err = run("webhook", "update", "W", "--condition", "entitlement.stat == 'ENABLE'")
    assert code == 0 and warnings(err) == ["entitlement.stat"]
    code, _, err = run("webhook", "update", "W", "--description", "unrelated")
    assert code == 0 and err == ""
