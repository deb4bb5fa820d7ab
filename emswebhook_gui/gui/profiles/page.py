"""The Authentication Profiles page: the profiles, which webhooks use each, add/edit/delete.

Secrets never reach this page: the service's profile dicts carry none, and the form sends a
typed secret once and forgets it. Deleting a profile in use is refused by the service; its
message (naming the webhooks) is shown as is. "Test token" asks the token endpoint of the
selected OAuth profile for a token with its stored secret; the outcome stays beside the toolbar
while that profile is selected (``token_test``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget
from superqt.utils import qthrottled

from emswebhook_gui.gui.profiles.token_test import TEST_TOKEN, TESTING, TokenTestResult, saved_profile_test
from emswebhook_gui.gui.widgets.actions import alive, confirm, make_action
from emswebhook_gui.gui.widgets.record_list import RecordListPage
from emswebhook_gui.gui.widgets.record_table import NONE_TEXT, Column, RecordTableModel
from emswebhook_gui.gui.widgets.tables import table_shortcuts
from emswebhook_gui.wording import plural

if TYPE_CHECKING:
    from emswebhook_gui.gui.shell.bridge import ServiceBridge

TYPE_NAMES = {"basic": "Basic", "oauth": "OAuth 2.0"}
TEST_TIP = "Ask the token endpoint of the selected OAuth 2.0 profile for a token, with its stored secret"

EMPTY_TEXT = (
    "No authentication profiles yet. Every webhook authenticates its deliveries with one: Basic "
    "(username and password) or OAuth 2.0 client credentials (a token from your token endpoint)."
)


def _used_by(profile: dict) -> str:
    return ", ".join(profile.get("usedBy") or []) or NONE_TEXT


class ProfileTableModel(RecordTableModel):
    """The service's profile dicts (which never hold a secret)."""

    COLUMNS = (
        Column("Name", lambda p: p["name"]),
        Column("Type", lambda p: TYPE_NAMES.get(p["type"], p["type"])),
        Column("Username / Client ID", lambda p: (p.get("username") if p["type"] == "basic" else p.get("clientId")) or ""),
        Column("Token URL", lambda p: p.get("tokenUrl") or NONE_TEXT),
        Column("Used by", _used_by,
               lambda p: f"Used by {plural(len(p.get('usedBy') or []), 'webhook')}: {_used_by(p)}",
               lambda p: len(p.get("usedBy") or [])),
    )


class ProfilesPage(RecordListPage):
    def __init__(self, bridge: "ServiceBridge", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._set_up_table(ProfileTableModel(self), "profilesTable", (200, 100, 200, 280))

        self.add_action = make_action(self, "add", "Add", "Add an authentication profile",
                                       self._on_add_action_triggered, QKeySequence.StandardKey.New)
        self.edit_action = make_action(self, "edit", "Edit", "Edit the selected profile (Enter, double-click)",
                                        self._on_edit_action_triggered)
        self.delete_action = make_action(self, "delete", "Delete", "Delete the selected profile (Del)",
                                          self._on_delete_action_triggered)
        self.test_action = make_action(self, "check", TEST_TOKEN, TEST_TIP, self._on_test_action_triggered)
        self.test_result = TokenTestResult()
        self._tested: str | None = None
        """The id of the profile whose test the result shows (or runs)."""
        table_shortcuts(self.table, self._on_edit_action_triggered, self._on_delete_action_triggered)
        self._build_list_layout("profiles", [(self.add_action, self.edit_action, self.delete_action),
                                             (self.test_action,)], self.table,
                                EMPTY_TEXT, "Add Authentication Profile", self._on_add_action_triggered,
                                beside_toolbar=self.test_result)

        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self._throttle = qthrottled(self.refresh, 100, leading=False, parent=self)
        bridge.sig_profiles_changed.connect(self._throttle.throttle)
        bridge.sig_webhooks_changed.connect(self._throttle.throttle)  # the "Used by" column
        self._update_actions()
        self.refresh()

    # -- loading and selection -----------------------------------------------------------------

    def refresh(self) -> None:
        self._bridge.run(self._bridge.service.list_profiles, alive(self, self._on_profiles_loaded))

    def _on_profiles_loaded(self, profiles: list[dict]) -> None:
        selected = self.selected_id()
        self.model.set_records(profiles)
        self.stack.setCurrentWidget(self.empty_state if not profiles else self.table)
        if not (selected and self.select(selected)) and profiles:
            self.table.selectRow(0)
        self._update_actions()

    selected_profile = RecordListPage.selected_record

    def _update_actions(self, *_args) -> None:
        profile = self.selected_profile()
        self.edit_action.setEnabled(profile is not None)
        self.delete_action.setEnabled(profile is not None)
        oauth = profile is not None and profile["type"] == "oauth"
        testing = self.test_action.text() == TESTING
        self.test_action.setEnabled(oauth and not testing)
        self.test_action.setToolTip(TEST_TIP if oauth or profile is None
                                    else "Only OAuth 2.0 profiles get tokens; a Basic profile sends its password")
        if profile is None or profile["id"] != self._tested:
            self.test_result.hide()

    # -- actions -------------------------------------------------------------------------------

    def _open_form(self, profile: dict | None) -> None:
        from emswebhook_gui.gui.profiles.form import ProfileForm

        self.form = ProfileForm(self._bridge, profile, self)
        self.form.sig_saved.connect(alive(self, self._on_form_saved))
        self.form.open()

    def _on_add_action_triggered(self) -> None:
        self._open_form(None)

    def _on_edit_action_triggered(self, *_args) -> None:
        profile = self.selected_profile()
        if profile is not None:
            self._open_form(profile)

    def _on_form_saved(self, profile: dict) -> None:
        self.banner.show_message(f"Saved authentication profile '{profile['name']}'.", "success")
        self._select_after_load = profile["id"]
        self._bridge.run(self._bridge.service.list_profiles, alive(self, self._on_saved_list_loaded))

    def _on_saved_list_loaded(self, profiles: list[dict]) -> None:
        self._on_profiles_loaded(profiles)
        self.select(self._select_after_load)

    def _on_test_action_triggered(self) -> None:
        profile = self.selected_profile()
        if profile is None or profile["type"] != "oauth":
            return
        self._tested = profile["id"]
        self.test_action.setText(TESTING)
        self.test_result.hide()
        self._update_actions()
        self._bridge.run(functools.partial(self._bridge.service.test_oauth_profile, saved_profile_test(profile)),
                         alive(self, lambda result: self._on_test_finished(profile["id"], result)),
                         alive(self, lambda exc: self._on_test_finished(profile["id"], exc)))

    def _on_test_finished(self, profile_id: str, outcome: dict | Exception) -> None:
        self.test_action.setText(TEST_TOKEN)
        if profile_id == self._tested:
            if isinstance(outcome, Exception):
                self.test_result.show_failure(outcome)
            else:
                self.test_result.show_result(outcome)
        self._update_actions()

    def _on_delete_action_triggered(self) -> None:
        profile = self.selected_profile()
        if profile is None:
            return
        self.confirm_box = confirm(
            self, "Delete authentication profile?",
            f"Delete the authentication profile '{profile['name']}'? Its stored secret is removed "
            "from the keyring.", "Delete", lambda: self._delete(profile))

    def _delete(self, profile: dict) -> None:
        self._bridge.run(functools.partial(self._bridge.service.delete_profile, profile["id"]),
                         alive(self, lambda _: self.banner.show_message(
                             f"Deleted authentication profile '{profile['name']}'.", "success")),
                         alive(self, lambda exc: self.banner.show_message(str(exc), "error")))
