# shellcheck shell=bash
# Shared set-up for the scripts in this folder: the repository root, the virtualenv, apt packages,
# and the collection path that ansible needs (…/ansible_collections/aliyun/ram).

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${ALIYUN_RAM_VENV:-$REPO_ROOT/.venv}
COLLECTIONS_DIR=$REPO_ROOT/.cache/collections
export REPO_ROOT VENV COLLECTIONS_DIR

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Python 3.12 is the primary toolchain. It may be on PATH or only under pyenv.
find_python312() {
    local candidate
    for candidate in "${ALIYUN_RAM_PYTHON:-}" "$(command -v python3.12 2>/dev/null || true)"; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    local root
    root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    for candidate in "$root"/versions/3.12*/bin/python3.12; do
        if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    return 1
}

# Install Debian packages that are missing (we run as root on the project's machines).
ensure_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root or install them)"
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pip is noisy about this machine's extra indexes; show its output only when it fails.
venv_pip() {
    local out
    out=$(mktemp)
    if ! "$VENV/bin/python" -m pip "$@" >"$out" 2>&1; then
        cat "$out" >&2; rm -f "$out"; die "pip $* failed"
    fi
    rm -f "$out"
}

# Create or refresh the virtualenv from the pinned requirements (mirrors come from pip's own config).
ensure_venv() {
    local stamp="$VENV/.requirements.sha256" want
    want=$(for f in requirements-dev.txt meta/ee-requirements.txt emulator/pyproject.toml; do
        [ ! -f "$REPO_ROOT/$f" ] || cat "$REPO_ROOT/$f"; done | sha256sum | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    local python
    python=$(find_python312) || die "Python 3.12 not found (PATH or pyenv); set ALIYUN_RAM_PYTHON"
    log "creating virtualenv $VENV with $python"
    [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
    venv_pip install --upgrade pip
    venv_pip install -r "$REPO_ROOT/requirements-dev.txt"
    if [ -f "$REPO_ROOT/emulator/pyproject.toml" ]; then
        venv_pip install -e "$REPO_ROOT/emulator"
    fi
    "$VENV/bin/python" -m pip check >/dev/null || die "pip check failed in $VENV"
    echo "$want" > "$stamp"
}

# ansible finds the collection only under a path ending in ansible_collections/aliyun/ram.
ensure_collection_link() {
    mkdir -p "$COLLECTIONS_DIR/ansible_collections/aliyun"
    ln -sfn "$REPO_ROOT" "$COLLECTIONS_DIR/ansible_collections/aliyun/ram"
}

activate() {
    ensure_venv
    ensure_collection_link
    # shellcheck disable=SC1091
    . "$VENV/bin/activate"
    export ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS_DIR
    export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
    export ANSIBLE_LOCAL_TEMP=${ANSIBLE_LOCAL_TEMP:-/tmp/.ansible-aliyun-ram/local}
    export ANSIBLE_PIPELINING=1
    export ANSIBLE_HOST_KEY_CHECKING=false
    # The SDK passes HTTP(S)_PROXY to every request and ignores NO_PROXY: the emulator is local.
    unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
}

# A copy of the tree at WORKDIR/ansible_collections/aliyun/ram for ansible-test (it needs that physical path),
# holding what git tracks or would track, committed so ansible-test sees a clean checkout. Also serves the
# active ansible-test its pip bootstrap script offline. Prints the copy's path.
ansible_test_tree() {
    local workdir=$1 pip_version dest
    ensure_apt shellcheck
    pip_version=$(python - <<'PY'
import re, pathlib, ansible_test
src = pathlib.Path(ansible_test.__file__).parent.joinpath('_internal', 'python_requirements.py').read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
    mkdir -p "$HOME/.ansible/test/cache"
    cp "$REPO_ROOT/tests/sanity/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    dest=$workdir/ansible_collections/aliyun/ram
    mkdir -p "$dest"
    (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$dest"
    (cd "$dest" && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot)
    echo "$dest"
}
