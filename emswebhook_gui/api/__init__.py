"""The local REST API: an aiohttp.web adapter over ``WebhookService`` (DESIGN section 5)."""
