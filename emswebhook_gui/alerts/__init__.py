"""Operational alerts for people who are not looking at the tray: a webhook and e-mail when
notifications end FAILED and when a failing webhook delivers again, digested (``digest.py``),
sent by ``dispatcher.py`` through ``channels.py``. ``cli/alerts.py`` adds ``emswebhook alerts``."""

from .channels import AlertError
from .digest import WINDOW, Alert, Digest
from .dispatcher import AlertDispatcher, ChannelResult, send_test_alert

__all__ = ["WINDOW", "Alert", "AlertDispatcher", "AlertError", "ChannelResult", "Digest", "send_test_alert"]
