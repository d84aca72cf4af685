#!/usr/bin/env bash
# Sentinella developer entry point.
#   bash scripts/dev.sh run    install everything and start the dashboard on the demo data
#   bash scripts/dev.sh test   install everything and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if ! cmp -s requirements.txt .venv/.installed 2>/dev/null; then
  .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt
  cp requirements.txt .venv/.installed
fi
case "${1:-}" in
  run)
    shift
    exec .venv/bin/streamlit run app.py --server.headless true "$@"
    ;;
  test)
    shift
    # The browser tests drive Debian's Chromium (Playwright's own download cannot work here).
    if ! command -v chromium >/dev/null 2>&1; then
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -q && $SUDO apt-get install -y -q chromium
    fi
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh run|test" >&2
    exit 2
    ;;
esac
