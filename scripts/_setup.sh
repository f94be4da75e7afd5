# Shared by scripts/run and scripts/test: create or reuse .venv and install the pinned requirements.
# Usage: source scripts/_setup.sh REQUIREMENTS_FILE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

requirements="$1"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
fi
if [ -z "$python" ]; then
  echo "Python 3.11 is needed: install it, or point PYTHON at it." >&2
  exit 1
fi
"$python" - <<'PY' || { echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1))." >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  "$python" -m venv .venv
fi

# Reinstall only when the requirement files changed since the last successful install.
stamp=".venv/.installed-$(basename "$requirements")"
digest="$(cat requirements*.txt | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "Installing $requirements into .venv ..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$digest" > "$stamp"
fi
