#!/usr/bin/env bash
# The action's last word, naming the tag that was compared with ('latest' resolved).
# In: DSSYNC_DRIFT ('true'/'false'), DSSYNC_FAIL_ON_DRIFT, DSSYNC_TAG, DSSYNC_REQUESTED_TAG
set -euo pipefail

tag="${DSSYNC_TAG:-$DSSYNC_REQUESTED_TAG}"
if [ "$DSSYNC_DRIFT" = "true" ]; then
  if [ "$DSSYNC_FAIL_ON_DRIFT" = "true" ]; then
    echo "::error title=dssync::vendored files differ from upstream $tag; see the job summary"
    exit 1
  fi
  echo "dssync: vendored files differ from upstream $tag (fail-on-drift is off)"
else
  echo "dssync: no drift from upstream $tag"
fi
