"""The Qt adapter: widgets, the tray icon and the application shell (PySide6 + qasync).

Nothing outside this package imports Qt (an import-linter contract in pyproject.toml enforces it),
so the delivery engine and service run the same under ``asyncio.run`` and under the Qt loop.
Importing this package stays cheap: modules import Qt only when they are imported themselves.
"""
