#!/usr/bin/env bash
# The update pull request follows the drift, the way dependency bots keep theirs:
# - The branch is rebuilt from the default branch with 'dssync update --tag TAG' and pushed
#   only when its tree differs from what the remote branch holds: the same drift again pushes
#   nothing and edits nothing.
# - A commit on the branch that this workflow did not make (a person's fix, GitHub's "Update
#   branch") is never overwritten: the branch is left as it is and the pull request says why.
# - Once there is no drift, or nothing left that 'dssync update' can do, the pull request is
#   closed and the branch deleted (kept, and said so, when someone else committed to it).
# - A pull request that a person closed unmerged is not opened again for the same report.
#
# In: GH_TOKEN, GH_REPO, UPDATE_BRANCH, BOT_NAME, BOT_EMAIL, DRIFT ('true'/'false'), TAG,
#     DSSYNC (the dssync command, when DRIFT), REPORTS (this run's report files, when DRIFT),
#     REPORTS_DIR (where the repository keeps report files), BASE (the default branch; empty
#     on 'schedule', whose event names no repository: then the remote's HEAD says), RUN_URL
# Runs in a checkout of the repository whose 'origin' it may push to.
set -euo pipefail
# shellcheck source=drift-lib.sh
. "$(dirname "$0")/drift-lib.sh"

base="${BASE:-}"
if [ -z "$base" ]; then
  base="$(git ls-remote --symref origin HEAD | sed -n 's|^ref: refs/heads/\(.*\)[[:space:]]HEAD$|\1|p')"
fi
if [ -z "$base" ]; then
  echo "::error title=dssync::cannot tell the default branch (origin names no HEAD)"
  exit 1
fi
# Who made each commit on the branch is only known with the history below it: a shallow
# checkout (actions/checkout fetches one commit by default) would count the base's own
# commits as someone else's.
if [ "$(git rev-parse --is-shallow-repository)" = "true" ]; then
  git fetch --quiet --unshallow --no-tags origin "+refs/heads/$base:refs/remotes/origin/$base"
else
  git fetch --quiet --no-tags origin "+refs/heads/$base:refs/remotes/origin/$base"
fi

remote_head="$(git ls-remote --heads origin "refs/heads/$UPDATE_BRANCH" | cut -f1)"
others=""
if [ -n "$remote_head" ]; then
  git fetch --quiet --no-tags origin "+refs/heads/$UPDATE_BRANCH:refs/remotes/origin/$UPDATE_BRANCH"
  # Commits on the branch that this workflow did not make, by author or by committer.
  others="$(git log --format='%h %an <%ae> (committed by %ce)' \
    "refs/remotes/origin/$base..refs/remotes/origin/$UPDATE_BRANCH" |
    grep -vF "<$BOT_EMAIL> (committed by $BOT_EMAIL)" || true)"
fi
pr="$(gh pr list --state open --head "$UPDATE_BRANCH" --json number --jq '.[0].number // empty')"

# close_pr WHY: close the open pull request; delete the branch unless someone else's commits
# are on it.
close_pr() {
  local why="$1"
  if [ -n "$others" ]; then
    why="$why The branch \`$UPDATE_BRANCH\` is kept: it has commits this workflow did not make."
    gh pr close "$pr" --comment "$why"
  else
    gh pr close "$pr" --comment "$why" --delete-branch
  fi
  echo "closed pull request #$pr"
}

if [ "$DRIFT" != "true" ]; then
  if [ -n "$pr" ]; then
    close_pr "No drift from upstream $TAG any more ($RUN_URL)."
  elif [ -n "$remote_head" ] && [ -z "$others" ]; then
    git push --quiet origin --delete "$UPDATE_BRANCH"
    echo "deleted the branch $UPDATE_BRANCH, which no open pull request used"
  else
    echo "no drift from upstream $TAG, and no open pull request"
  fi
  exit 0
fi

report="$(markdown_in "$REPORTS")"
title="Update vendored files to upstream $TAG"
footer="Opened by the drift workflow with \`dssync update --tag $TAG\`: $RUN_URL"

if [ -n "$others" ]; then
  note="> [!WARNING]
> **The drift workflow did not update this branch**: it has commits that the workflow did not
> make, and it never overwrites those:
>
$(printf '%s\n' "$others" | sed 's/^/> - /')
>
> The report below is for upstream $TAG. To let the workflow take the branch over again, merge
> or close this pull request and delete the branch \`$UPDATE_BRANCH\`."
  mark="$(report_mark "$report" <(printf '%s\n' "$title" "$others"))"
  if [ -z "$pr" ]; then
    echo "::warning title=dssync::$UPDATE_BRANCH has commits this workflow did not make and no open pull request; left as it is"
  elif gh pr view "$pr" --json body --jq .body | grep -qF -- "$mark"; then
    echo "pull request #$pr already says why its branch is left alone"
  else
    body="$(mktemp)"
    report_body "$report" "$mark" "$footer" "$note" > "$body"
    gh pr edit "$pr" --body-file "$body"
    echo "pull request #$pr: branch left alone (commits by others), body updated for $TAG"
  fi
  exit 0
fi

git switch --quiet --force-create "$UPDATE_BRANCH" "refs/remotes/origin/$base"
# Exit 1: written, but something was left for a person (conflicts, names nothing binds); the
# pull request carries what was done and lists what was left. Exit 2 is trouble.
update_out="$(mktemp)"
update_status=0
"$DSSYNC" update --tag "$TAG" > "$update_out" || update_status=$?
cat "$update_out"
[ "$update_status" -le 1 ] || exit "$update_status"
left_note=""
if [ "$update_status" -eq 1 ]; then
  fence='```'
  left_note="$(printf '**Left for a person** (dssync update exit status 1):\n\n%s\n%s\n%s' \
    "$fence" "$(grep -E ': (conflict|left|the lock still)' "$update_out" || true)" "$fence")"
fi
if git diff --quiet && [ -z "$(git ls-files --others --exclude-standard)" ]; then
  # What is left needs a person (see the tracking issue): a pull request would change nothing.
  if [ -n "$pr" ]; then
    close_pr "'dssync update --tag $TAG' has nothing left to change; the drift that remains needs a person (see the tracking issue, $RUN_URL)."
  fi
  echo "dssync update changed nothing; no pull request"
  exit 0
fi

# The report that asked for the update goes in beside the files it explains.
mkdir -p "$REPORTS_DIR"
find "$REPORTS_DIR" -maxdepth 1 -type f -name 'drift-*' -delete
cp "$REPORTS"/drift-* "$REPORTS_DIR"/
git add -A
git -c user.name="$BOT_NAME" -c user.email="$BOT_EMAIL" \
  commit --quiet -m "Update vendored files to upstream $TAG" -m "Made by 'dssync update --tag $TAG' in $RUN_URL"

if [ -n "$remote_head" ] && [ "$(git rev-parse 'HEAD^{tree}')" = "$(git rev-parse "$remote_head^{tree}")" ]; then
  echo "the branch $UPDATE_BRANCH already holds this update; nothing pushed"
else
  # Only over the commit looked at above: a push made meanwhile by someone else wins.
  git push --quiet --force-with-lease="refs/heads/$UPDATE_BRANCH:$remote_head" origin "HEAD:refs/heads/$UPDATE_BRANCH"
  echo "pushed the update to $UPDATE_BRANCH"
fi

mark="$(report_mark "$report" <(printf '%s\n' "$title"))"
body="$(mktemp)"
report_body "$report" "$mark" "$footer" "$left_note" > "$body"
if [ -n "$pr" ]; then
  if gh pr view "$pr" --json body --jq .body | grep -qF -- "$mark"; then
    echo "pull request #$pr already holds this report"
  else
    gh pr edit "$pr" --title "$title" --body-file "$body"
    echo "pull request #$pr updated for upstream $TAG"
  fi
  exit 0
fi
declined=""
if [ -n "$remote_head" ]; then
  # The branch outlived its pull request: did a person close one for this very update?
  declined="$(gh pr list --state closed --head "$UPDATE_BRANCH" --limit 20 --json number,body,mergedAt \
    --jq "[.[] | select(.mergedAt == null and (.body | contains(\"$mark\")))][0].number // empty")"
fi
if [ -n "$declined" ]; then
  echo "::notice title=dssync::pull request #$declined for this very update was closed unmerged; not opening it again"
  exit 0
fi
gh pr create --base "$base" --head "$UPDATE_BRANCH" --title "$title" --body-file "$body"
