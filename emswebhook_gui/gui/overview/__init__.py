"""Overview: delivery health at a glance (the first page, Ctrl+1).

``page.py`` lays the page out and refreshes it, ``chart.py`` turns the service's buckets into a
QtCharts stacked bar chart, ``model.py`` is the per-webhook table. The figures come from
``WebhookService.stats`` (hourly rollups, never a scan of notifications), so opening the page and
refreshing it cost the same at any store size.
"""
