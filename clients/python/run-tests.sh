#!/usr/bin/env bash
# Runs the Python SDK's tests against the real built server.
#   bash clients/python/run-tests.sh [junit-xml-path] [extra pytest args...]
# Creates clients/python/.venv if missing, installs the package with its [test]
# extra from PyPI (editable), runs pytest and exits with pytest's exit code.
# Needs the server built first: `npm run build` at the repository root.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RESULTS="${1:-$HERE/.pytest-results.xml}"
case "$RESULTS" in
  /*) ;;
  *) RESULTS="$PWD/$RESULTS" ;;  # relative to where the script was called from
esac
[ "$#" -gt 0 ] && shift

cd "$HERE"
PYTHON="${PYTHON:-python3}"
VENV="$HERE/.venv"
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "run-tests: creating $VENV" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
echo "run-tests: installing m2m-trust[test] into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet -e "$HERE[test]"

mkdir -p "$(dirname "$RESULTS")"
set +e
"$VENV/bin/python" -m pytest --junitxml="$RESULTS" "$@"
status=$?
set -e
echo "run-tests: pytest exited with $status; results in $RESULTS" >&2
exit "$status"
