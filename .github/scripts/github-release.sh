#!/usr/bin/env bash
# A GitHub release for TAG: the CHANGELOG section as its notes, the built files attached.
# In: GH_TOKEN, GH_REPO, TAG; dist/ holds the sdist and the wheel.
set -euo pipefail

notes="$(mktemp)"
python3 .github/scripts/check_release.py --notes "$TAG" > "$notes"
gh release create "$TAG" dist/* --verify-tag --title "dssync ${TAG#v}" --notes-file "$notes"
