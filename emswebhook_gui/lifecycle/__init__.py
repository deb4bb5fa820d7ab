"""Data lifecycle of a store that lives for months: retention and purge (``retention``),
streamed exports (``export``), SQLite backups, compaction and database facts (``backup``),
and the chunked drivers of ``--where`` searches and bulk actions (``scans``). Qt-free."""
