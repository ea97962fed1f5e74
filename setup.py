"""Packaging that pyproject.toml cannot say: the built-in packs in questions/ ship as package data.

`questions/` stays at the top of the repository (where authors find it) and is installed as the
package `bot.questions`, so a wheel, a non-editable install and a container image all carry the packs
and `importlib.resources` finds them in every install, editable ones included.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["bot", "bot.*"]), "bot.questions"],
    package_dir={"bot.questions": "questions"},
)
