"""The only place that touches secrets: Basic passwords, OAuth client secrets, signing secrets,
the REST API token.

Secrets live in the OS keyring under the service name ``emswebhook-gui``; the database holds only
the fact that a secret exists. When no usable backend is present (a headless Linux without Secret
Service) saving fails loudly with what to do: we never fall back to plaintext silently.
"""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

SERVICE_NAME = "emswebhook-gui"

NO_BACKEND_HELP = (
    "no usable OS keyring was found to store secrets in. Unlock or install a keyring "
    "(e.g. GNOME Keyring / KWallet via Secret Service, macOS Keychain, Windows Credential "
    "Locker), or choose a backend with the PYTHON_KEYRING_BACKEND environment variable; on a "
    "headless server, PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring keeps secrets in "
    "a file protected only by its permissions. Nothing was saved."
)

# File backends from keyrings.alt (shipped for headless servers) are used only when chosen on
# purpose; keyring would otherwise pick them by itself wherever no OS keyring runs, which would
# store secrets in a file without anyone having decided so.
_EXPLICIT_ONLY_MODULES = ("keyrings.alt",)


class SecretStoreUnavailable(RuntimeError):
    """The keyring cannot store or read secrets; the message tells the user what to do."""


def profile_secret_key(profile_id: str) -> str:
    return f"auth-profile:{profile_id}"


def signing_secret_key(webhook_id: str) -> str:
    return f"webhook-signing:{webhook_id}"


API_TOKEN_KEY = "rest-api-token"
PROXY_CREDENTIALS_KEY = "http-proxy-credentials"
"""JSON ``{"username": ..., "password": ...}`` for the forward proxy (``config proxy-credentials``)."""

ALERT_SIGNING_SECRET_KEY = "alertSigningSecret"
"""Standard Webhooks secret that signs the operational alert webhook (``emswebhook alerts signing-secret``)."""
ALERT_SMTP_PASSWORD_KEY = "alertSmtpPassword"
"""Password of ``alertSmtpUser`` on ``alertSmtpHost`` (``emswebhook alerts smtp-password``)."""


class SecretStore:
    """A thin, testable wrapper over one keyring backend.

    The backend is resolved lazily: importing the app must not fail on a machine without a
    keyring, only storing a secret should.
    """

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE_NAME) -> None:
        self._backend = backend
        self.service = service

    @property
    def backend(self) -> KeyringBackend:
        return self._backend or keyring.get_keyring()

    def available(self) -> bool:
        backend = self.backend
        if isinstance(backend, fail.Keyring) or _priority(backend) <= 0:
            return False
        if self._backend is None and type(backend).__module__.startswith(_EXPLICIT_ONLY_MODULES):
            return _explicitly_chosen()
        return True

    def _require(self) -> KeyringBackend:
        if not self.available():
            raise SecretStoreUnavailable(NO_BACKEND_HELP)
        return self.backend

    def set(self, key: str, value: str) -> None:
        try:
            self._require().set_password(self.service, key, value)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreUnavailable(
                f"the keyring refused to store a secret ({type(exc).__name__}). {NO_BACKEND_HELP}"
            ) from None

    def get(self, key: str) -> str | None:
        try:
            return self._require().get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreUnavailable(
                f"the keyring refused to read a secret ({type(exc).__name__}). {NO_BACKEND_HELP}"
            ) from None

    def delete(self, key: str) -> None:
        """Forget a secret; a missing one is fine (deleting is idempotent)."""
        if not self.available():
            return
        try:
            self.backend.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass


def _explicitly_chosen() -> bool:
    """Whether the user named a backend (PYTHON_KEYRING_BACKEND or keyringrc.cfg)."""
    from keyring import core

    try:
        return core.load_env() is not None or core.load_config() is not None
    except Exception:  # a misconfigured choice is not a choice we can honour
        return False


def _priority(backend: KeyringBackend) -> float:
    try:
        return float(type(backend).priority)
    except Exception:  # some backends compute priority and raise when unusable
        return 0.0
