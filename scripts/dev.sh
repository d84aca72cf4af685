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
    # Acknowledgement links are signed; a local demo without a configured secret gets a
    # fresh one per start (links of an earlier start stop working, as they should).
    if [ -z "${SENTINELLA_TOKEN_SECRET:-}" ]; then
      SENTINELLA_TOKEN_SECRET=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(24))')
      export SENTINELLA_TOKEN_SECRET
    fi
    # First start of the demo: create its accounts (admin, anna, wall) and keep their
    # one-time passwords in data/demo-accounts.txt (git-ignored, readable by you only).
    if [ -z "${SENTINELLA_CONFIG:-}" ] && [ ! -s data/demo-accounts.txt ]; then
      if .venv/bin/python -m monitoring user demo > data/demo-accounts.tmp 2>/dev/null; then
        mv data/demo-accounts.tmp data/demo-accounts.txt && chmod 600 data/demo-accounts.txt
        echo "Demo accounts (also in data/demo-accounts.txt):"; cat data/demo-accounts.txt
      else
        rm -f data/demo-accounts.tmp
      fi
    fi
    # The demo's escalation e-mails go to a local SMTP server that keeps them in the
    # Maildir data/demo-mail/ (new messages in data/demo-mail/new/).
    if [ -z "${SENTINELLA_CONFIG:-}" ]; then
      mkdir -p data/demo-mail/cur data/demo-mail/new data/demo-mail/tmp
      .venv/bin/python -m aiosmtpd -n -u -l 127.0.0.1:8025 -c aiosmtpd.handlers.Mailbox \
        data/demo-mail >data/demo-mail.log 2>&1 &
      SMTP_PID=$!
      trap 'kill "$SMTP_PID" 2>/dev/null || true' EXIT
    fi
    .venv/bin/streamlit run app.py --server.headless true "$@"
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
