#!/bin/sh
# interim
set -eu
src=$1; venv=$2; extras=${3:-}
py=${PYTHON:-python3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$py" -m pip wheel --quiet --no-deps -w "$tmp" "$src"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "$tmp"/*.whl
