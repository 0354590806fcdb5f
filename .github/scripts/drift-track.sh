#!/usr/bin/env bash
# The one tracking issue follows the drift: opened at the first drift, its body replaced only
# when the report changes (the same drift again edits nothing), closed once there is none.
#
# In: GH_TOKEN, GH_REPO, TRACKING_TITLE, DRIFT ('true'/'false'), TAG (the tag compared with),
#     REPORTS (the directory of this run's report files, when DRIFT), RUN_URL
set -euo pipefail
# shellcheck source=drift-lib.sh
. "$(dirname "$0")/drift-lib.sh"

number="$(gh issue list --state open --search "in:title \"$TRACKING_TITLE\"" --limit 100 \
  --json number,title --jq '[.[] | select(.title == env.TRACKING_TITLE)][0].number // empty')"

if [ "$DRIFT" != "true" ]; then
  if [ -n "$number" ]; then
    gh issue close "$number" --comment "No drift from upstream $TAG any more ($RUN_URL)."
    echo "closed issue #$number: no drift from upstream $TAG"
  else
    echo "no drift from upstream $TAG, and no open tracking issue"
  fi
  exit 0
fi

report="$(markdown_in "$REPORTS")"
mark="$(report_mark "$report")"
body="$(mktemp)"
report_body "$report" "$mark" "Updated by the drift workflow: $RUN_URL" > "$body"
if [ -z "$number" ]; then
  gh issue create --title "$TRACKING_TITLE" --body-file "$body"
elif gh issue view "$number" --json body --jq .body | grep -qF -- "$mark"; then
  echo "issue #$number already holds this report; left as it is"
else
  gh issue edit "$number" --body-file "$body"
  echo "issue #$number now holds the report for upstream $TAG"
fi
