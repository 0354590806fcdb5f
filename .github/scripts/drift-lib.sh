# Shared by drift-track.sh and drift-update.sh (sourced, not run).
# shellcheck shell=bash

# An issue or pull request body holds at most 65,536 characters: the report is cut at 60,000
# bytes (on a character boundary) and the whole one is in the run's artifact.
BODY_LIMIT=60000

# The mark a body carries of the report it was made from: a run whose report is the same
# finds it and leaves the issue or pull request alone (no edit, no notification).
report_mark() {
  printf '<!-- dssync-report: %s -->' "$(cat "$@" | sha256sum | cut -c1-32)"
}

# report_body REPORT.md MARK FOOTER [NOTE]: the body, on stdout.
report_body() {
  local report="$1" mark="$2" footer="$3" note="${4:-}"
  if [ -n "$note" ]; then
    printf '%s\n\n' "$note"
  fi
  head -c "$BODY_LIMIT" "$report" | iconv -c -f UTF-8 -t UTF-8
  printf '\n\n---\n%s\n%s\n' "$footer" "$mark"
}

# The one Markdown report in a directory of report files.
markdown_in() {
  local found
  found="$(find "$1" -maxdepth 1 -name 'drift-*.md' -print -quit)"
  if [ -z "$found" ]; then
    echo "::error title=dssync::no Markdown report in $1" >&2
    return 1
  fi
  printf '%s\n' "$found"
}
