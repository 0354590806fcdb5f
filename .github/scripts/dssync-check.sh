#!/usr/bin/env bash
# 'dssync diff' for the action: the four report files in a fresh directory, the chosen format on
# stdout (workflow annotations by default), the Markdown report in the job summary, and what
# the caller needs as step outputs. Runs in the action's working directory.
#
# In:  DSSYNC (the dssync command), DSSYNC_TAG, DSSYNC_FORMAT, DSSYNC_ARGS (split on spaces),
#      DSSYNC_CATEGORY (empty: derived from the working directory), DSSYNC_WORKING_DIRECTORY,
#      GITHUB_WORKSPACE: file paths in the reports are relative to it, the repository root,
#      as annotations and code scanning want them, also when the project is a subdirectory.
# Out: exit-code, drift, tag (the tag compared with, 'latest' resolved; 'latest' for several
#      upstreams read at different releases), report-dir, report-json, markdown-file,
#      sarif-file, html-file, category   (GITHUB_OUTPUT)
set -euo pipefail

reports="$(mktemp -d "${RUNNER_TEMP:-/tmp}/dssync-reports.XXXXXX")"
read -r -a extra <<< "${DSSYNC_ARGS:-}"
here="$(pwd -P)"
root="$(cd "${GITHUB_WORKSPACE:-$here}" && pwd -P)"
relative=()
case "$here/" in
  "$root"/*) relative=(--relative-to "$root") ;;
esac

status=0
"$DSSYNC" diff --tag "$DSSYNC_TAG" --format "$DSSYNC_FORMAT" --output "$reports" \
  ${relative[@]+"${relative[@]}"} ${extra[@]+"${extra[@]}"} || status=$?

report() { find "$reports" -maxdepth 1 -name "drift-*.$1" -print -quit; }
json="$(report json)"
tag=""
if [ -n "$json" ]; then
  # The tag as dssync resolved it ('latest' becomes a release), whatever its characters: the
  # report file's name replaces those a file name cannot hold. Several upstreams read at
  # different releases share no tag: 'latest' (each one's) is what was compared with.
  tag="$(jq -r '.tag // (if .upstreams then "latest" else empty end)' "$json")"
fi

category="${DSSYNC_CATEGORY:-}"
if [ -z "$category" ]; then
  # One category per project directory, so two uses in one repository keep their alerts apart.
  directory="${DSSYNC_WORKING_DIRECTORY:-.}"
  directory="${directory#./}"
  directory="${directory%/}"
  if [ -z "$directory" ] || [ "$directory" = "." ]; then
    category="dssync"
  else
    category="dssync/$directory"
  fi
fi

drift=false
if [ "$status" -eq 1 ]; then
  drift=true
fi
{
  echo "exit-code=$status"
  echo "drift=$drift"
  echo "tag=$tag"
  echo "report-dir=$reports"
  echo "report-json=$json"
  echo "markdown-file=$(report md)"
  echo "sarif-file=$(report sarif)"
  echo "html-file=$(report html)"
  echo "category=$category"
} >> "$GITHUB_OUTPUT"

# 2 is trouble (configuration, network): dssync said why on stderr; there is no report.
if [ "$status" -gt 1 ]; then
  exit "$status"
fi
