"""Trace search: URL parameters → ``LLMCall`` / ``Trace`` querysets, keyset pages, counts.

``params`` and ``cursor`` are pure; ``calls``, ``traces``, ``text`` and ``summary`` build
querysets over ``ingest.models``. The Traces page and the calls/traces APIs share them.
"""
