"""Numbered SQL migrations for the PostgreSQL store (``NNNN_description.sql``).

Same rules as the SQLite ones beside this folder: never edit a migration that has shipped, add the next
number. The numbers are counted separately from SQLite's, since each dialect has its own files.
"""
