#!/usr/bin/env bash
# After a SARIF upload that failed (allowed to): a warning that says what it usually means,
# while the drift check, its annotations and reports stand.
set -euo pipefail
echo "::warning title=dssync::code scanning did not take the SARIF report. A private repository" \
  "needs GitHub Advanced Security (Settings > Code security) for code scanning; the drift" \
  "report is still in the job summary and the annotations."
