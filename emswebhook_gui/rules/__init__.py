"""The rules: what each resource may hold, declared once (``fields``), and the checks behind it.

``webhooks``, ``profiles``, ``occurrences``, ``filters`` and ``properties`` declare their
resources; ``checks``, ``urls`` and ``events`` are the checks they share. Pure functions over plain dicts with the
contract's attribute names: nothing here touches the database, so the service, which decides when
they run (inside its transactions), is the only caller that changes anything.
"""
