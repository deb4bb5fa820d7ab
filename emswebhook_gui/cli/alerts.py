"""``emswebhook alerts``: send a test alert, and keep the alert secrets in the keyring.

Secrets come from standard input only (``--password-stdin``, ``--secret-stdin``), as for profiles:
argv shows in ``ps`` and in shell history.
"""

from __future__ import annotations

from ..delivery.signing import generate_secret, sign
from ..errors import FieldError, ValidationError
from ..logs import audit
from ..secrets import ALERT_SIGNING_SECRET_KEY, ALERT_SMTP_PASSWORD_KEY
from ..threads import run_blocking
from .options import command, group
from .output import EXIT_ERROR, EXIT_OK, CliError, read_secret


async def alerts_test(service, _args) -> int:
    from ..alerts.dispatcher import send_test_alert

    results = await send_test_alert(service)
    for result in results:
        print(f"{'sent' if result.ok else 'FAILED'}: {result.message}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_ERROR


async def smtp_password(service, args) -> int:
    if args.remove:
        await run_blocking(service.secrets.delete, ALERT_SMTP_PASSWORD_KEY)
        audit.info("configuration: the SMTP password for alerts was removed from the keyring")
        print("removed the SMTP password from the keyring")
        return EXIT_OK
    if not args.password_stdin:
        raise CliError("pass --password-stdin and pipe the password in (or --remove)")
    password = read_secret("SMTP password: ")
    if not password:
        raise ValidationError(FieldError("password", "is empty"))
    await run_blocking(service.secrets.set, ALERT_SMTP_PASSWORD_KEY, password)
    audit.info("configuration: the SMTP password for alerts was stored in the keyring")
    print("stored the SMTP password in the keyring")
    return EXIT_OK


async def signing_secret(service, args) -> int:
    """Print the alert webhook's signing secret, creating it if absent (as ``webhook
    signing-secret`` does); ``--secret-stdin`` stores one the receiver already has."""
    if args.remove:
        await run_blocking(service.secrets.delete, ALERT_SIGNING_SECRET_KEY)
        audit.info("configuration: the alert signing secret was removed; alerts are sent unsigned")
        print("alerts are sent unsigned from now on")
        return EXIT_OK
    if args.secret_stdin:
        secret = read_secret("Signing secret (whsec_...): ").strip()
        try:
            sign(secret, "check", 0, b"")
        except ValueError as exc:
            raise ValidationError(FieldError("secret", str(exc))) from None
        await run_blocking(service.secrets.set, ALERT_SIGNING_SECRET_KEY, secret)
        audit.info("configuration: an alert signing secret was stored in the keyring")
        print("stored the alert signing secret; alerts are signed from now on")
        return EXIT_OK
    secret = None if args.rotate else await run_blocking(service.secrets.get, ALERT_SIGNING_SECRET_KEY)
    if secret is None:
        secret = generate_secret()
        await run_blocking(service.secrets.set, ALERT_SIGNING_SECRET_KEY, secret)
        audit.info("configuration: a new alert signing secret was made")
    print(secret)
    return EXIT_OK


def register(commands, _listing) -> None:
    alerts = group(commands, "alerts", help="operational alerts (alertWebhookUrl, alertEmailTo): test, secrets",
                   description="Alerts go to the alertWebhookUrl and alertEmailTo properties ('emswebhook config "
                               "set') when notifications end FAILED and when a failing webhook delivers again, at "
                               "most one per webhook per 15 minutes.",
                   example="emswebhook alerts test")
    command(alerts, "test", help="send a test alert to every configured channel",
            example="emswebhook alerts test", handler=alerts_test)
    password = command(alerts, "smtp-password", help="store the password of alertSmtpUser in the keyring (from stdin)",
                       example="printf '%s\\n' \"$SMTP_PASSWORD\" | emswebhook alerts smtp-password --password-stdin\n"
                               "emswebhook alerts smtp-password --remove",
                       handler=smtp_password)
    choice = password.add_mutually_exclusive_group()
    choice.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    choice.add_argument("--remove", action="store_true", help="forget the stored password")
    signing = command(alerts, "signing-secret",
                      help="print the alert webhook's Standard Webhooks secret (created if absent)",
                      example="emswebhook alerts signing-secret\nemswebhook alerts signing-secret --rotate",
                      handler=signing_secret)
    choice = signing.add_mutually_exclusive_group()
    choice.add_argument("--rotate", action="store_true", help="replace the secret with a new one")
    choice.add_argument("--remove", action="store_true", help="forget the secret: alerts go unsigned")
    choice.add_argument("--secret-stdin", action="store_true",
                        help="store a whsec_... secret read from stdin instead of making one")
