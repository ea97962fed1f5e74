"""The built-in question packs, a package only so that every kind of install ships them (see setup.py)."""
