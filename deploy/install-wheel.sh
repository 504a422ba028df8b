#!/bin/sh
# Build the wheel of SOURCE_DIR and install it into the virtual environment VENV_DIR.
#
#   deploy/install-wheel.sh SOURCE_DIR VENV_DIR [EXTRAS]
#
# The container image and the test of the installed program both run this, so what the
# tests drive is what operators run. The dependencies are the locked ones, each checked
# against its hash: requirements-runtime.lock, or requirements.lock with EXTRAS "test";
# other EXTRAS install with the lock's versions as constraints. PYTHON (default python3)
# builds and creates the environment. Quiet unless a step fails (then its output goes to
# stderr); the last line is `netcoach <version>`, printed by the installed program.
# Running it again replaces netcoach and keeps its dependencies.
set -eu

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
    echo "usage: $0 SOURCE_DIR VENV_DIR [EXTRAS]" >&2
    exit 2
fi
source_dir=$1
venv_dir=$2
extras=${3:-}
python=${PYTHON:-python3}

if [ ! -f "$source_dir/pyproject.toml" ]; then
    echo "$0: $source_dir has no pyproject.toml" >&2
    exit 2
fi
case $extras in
    "") lock=$source_dir/requirements-runtime.lock ;;
    *) lock=$source_dir/requirements.lock ;;
esac
if [ ! -f "$lock" ]; then
    echo "$0: $source_dir has no $(basename "$lock") (make lock writes it)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Run a step with its output in a log; on failure show the log and stop.
quietly() {
    if ! "$@" >"$work/log" 2>&1; then
        cat "$work/log" >&2
        echo "$0: failed: $*" >&2
        exit 1
    fi
}

# Build from a clean copy: setuptools packs whatever lies in an old build/lib (a module
# deleted since would ship), and writes build/ and *.egg-info into the tree it builds.
quietly "$python" - "$source_dir" "$work/src" <<'PY'
import shutil
import sys
from pathlib import Path

source, target = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
NAMES = {".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
ENDINGS = (".egg-info", ".db", ".db-wal", ".db-shm", ".db-journal", ".pyc")


def ignore(directory: str, names: list[str]) -> set[str]:
    here = Path(directory)
    return {
        name
        for name in names
        if name in NAMES
        or name.endswith(ENDINGS)
        or name == ".env"
        or (here == source and name in {"build", "dist"})
        or (here / name / "pyvenv.cfg").exists()
    }


shutil.copytree(source, target, ignore=ignore, symlinks=True)
PY

quietly "$python" -m pip wheel --no-deps --wheel-dir "$work/dist" "$work/src"
set -- "$work"/dist/netcoach-*.whl
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
    echo "$0: expected one netcoach wheel, found: $*" >&2
    exit 1
fi
wheel=$1

quietly "$python" -m venv "$venv_dir"
# The same version again would count as installed already: take the old one out first.
quietly "$venv_dir/bin/python" -m pip uninstall --yes netcoach
case $extras in
    "" | test)
        # Everything the wheel needs is in the lock: install that, hashes checked, then
        # the wheel alone (pip checks the wheel's requirements against what is there).
        quietly "$venv_dir/bin/python" -m pip install --require-hashes -r "$lock"
        quietly "$venv_dir/bin/python" -m pip install --no-deps "$wheel${extras:+[$extras]}"
        quietly "$venv_dir/bin/python" -m pip check
        ;;
    *)
        # A constraints file may not carry hashes: the lock's pins (and markers) without them.
        sed -n 's/^\([A-Za-z0-9].*[^ ]\) *\\$/\1/p' "$lock" >"$work/constraints.txt"
        quietly "$venv_dir/bin/python" -m pip install -c "$work/constraints.txt" \
            "$wheel[$extras]"
        ;;
esac

"$venv_dir/bin/netcoach" --version
