"""Numbered SQL migrations for the SQLite store (``NNNN_description.sql``).

This is a package only so that ``importlib.resources`` can find the ``.sql`` files both in a
checkout and in an installed wheel. Never edit a migration that has shipped: add the next number.
"""
