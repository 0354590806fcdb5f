#!/usr/bin/env bash
# The sdist and the wheel in dist/, checked as the package index checks them (twine check
# --strict: the README must render as the project's description), and the version they carry
# checked against the package, the CHANGELOG and, when given, the tag being released.
#
# In: TAG (optional; e.g. v0.2.0 when releasing), PYTHON (default: python)
set -euo pipefail

python="${PYTHON:-python}"
"$python" -m pip install --quiet --disable-pip-version-check build twine
rm -rf dist
"$python" -m build
"$python" -m twine check --strict dist/*
"$python" .github/scripts/check_release.py ${TAG:+--tag "$TAG"} dist/*
