"""``python -m emswebhook_gui`` starts the desktop app, exactly like the ``emswebhook-gui`` script."""

from emswebhook_gui.gui.shell.app import main

if __name__ == "__main__":
    raise SystemExit(main())
