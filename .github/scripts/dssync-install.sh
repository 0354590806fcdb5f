#!/usr/bin/env bash
# Installs dssync into a virtual environment of its own, never into the caller's Python: the
# job's later steps see the same `python`, the same packages and the same PATH as before.
#
# In:  DSSYNC_SOURCE   the directory to install from (the action's own checkout)
#      DSSYNC_PYTHON   the interpreter to build the environment with (default: python3)
#      DSSYNC_INSTALL  'false': use the dssync command already on PATH instead
#      RUNNER_TOOL_CACHE (else RUNNER_TEMP): where environments are kept
# Out: dssync=<path of the dssync command>   (GITHUB_OUTPUT)
#
# One environment per interpreter and source tree: a self-hosted runner, whose tool cache
# survives the job, installs once; a hosted runner starts empty and installs every time.
set -euo pipefail

if [ "${DSSYNC_INSTALL:-true}" = "false" ]; then
  if ! dssync="$(command -v dssync)"; then
    echo "::error title=dssync::install is 'false' but there is no dssync command on PATH"
    exit 1
  fi
else
  python="${DSSYNC_PYTHON:-}"
  if [ -z "$python" ]; then
    python="$(command -v python3)"
  fi
  key="$(
    {
      "$python" -c 'import sys; print(sys.version)'
      cd "$DSSYNC_SOURCE"
      find pyproject.toml tool -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 |
        LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
  )"
  venv="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/dssync/$key"
  mkdir -p "$(dirname "$venv")"
  # Jobs sharing a tool cache install one at a time; a lock older than ten minutes was left
  # by a job that died, and is taken over.
  waited=0
  until mkdir "$venv.lock" 2>/dev/null; do
    if [ "$waited" -ge 600 ]; then
      rm -rf "$venv.lock"
      continue
    fi
    sleep 2
    waited=$((waited + 2))
  done
  trap 'rm -rf "$venv.lock"' EXIT
  if [ ! -e "$venv/.complete" ]; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$DSSYNC_SOURCE"
    touch "$venv/.complete"
  else
    echo "dssync: using the environment installed earlier in $venv"
  fi
  dssync="$venv/bin/dssync"
fi

"$dssync" --version
echo "dssync=$dssync" >> "$GITHUB_OUTPUT"
