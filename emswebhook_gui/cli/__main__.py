"""``python -m emswebhook_gui.cli``: the ``emswebhook`` command."""

import sys

from emswebhook_gui.cli import main

sys.exit(main())
