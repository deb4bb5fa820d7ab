"""emswebhook-gui: webhook administration and delivery for a Sentinel EMS style licensing platform.

The core (catalog, conditions, store, delivery, service) is plain asyncio and never imports Qt;
``gui/`` is the only Qt adapter. See README.md for the architecture.
"""

__version__ = "0.1.0"
