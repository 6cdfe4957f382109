"""Tests of ingest/conventions, one file per module of the package."""
