"""Counts in the GUI's words: singular for one, thousands separated, irregular plurals."""

from emswebhook_gui.wording import plural


def test_counts_read_as_words():
    assert plural(1) == "1 notification"
    assert plural(0) == "0 notifications"
    assert plural(12345, "failed notification") == "12,345 failed notifications"
    assert plural(1, "delivery", "deliveries") == "1 delivery"
    assert plural(2, "delivery", "deliveries") == "2 deliveries"
