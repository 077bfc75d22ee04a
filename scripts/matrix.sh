#!/usr/bin/env bash
# The oldest supported end of the version matrix: ansible-core 2.16 on Python 3.11, in .venv-2.16 (the
# primary toolchain, 2.21 on Python 3.12, is .venv). Runs a representative subset there:
#   sanity       ansible-test sanity --test validate-modules --test import (2.16's ansible-test)
#   unit         tests/unit
#   integration  tests/integration (the targets against the emulator, with 2.16's ansible-playbook)
# Usage: scripts/matrix.sh [sanity] [unit] [integration]     (default: all three)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ANSIBLE_CORE_OLDEST=2.16.19
VENV_OLDEST=${ALIYUN_RAM_VENV_OLDEST:-$REPO_ROOT/.venv-2.16}

find_python311() {
    local candidate root
    candidate=$(command -v python3.11 2>/dev/null || true)
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
        echo "$candidate"; return 0
    fi
    root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    for candidate in "$root"/versions/3.11*/bin/python3.11; do
        if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    # Debian 12's own Python is 3.11.
    ensure_apt python3.11 python3.11-venv
    [ -x /usr/bin/python3.11 ] && echo /usr/bin/python3.11
}

# The same SDK and pytest pins as the primary toolchain (requirements-dev.txt), with the oldest ansible-core.
oldest_requirements() {
    echo "ansible-core==$ANSIBLE_CORE_OLDEST"
    grep -E '^(alibabacloud-|darabonba-core|pytest)' "$REPO_ROOT/requirements-dev.txt"
}

ensure_oldest_venv() {
    local stamp="$VENV_OLDEST/.requirements.sha256" want python requirements
    want=$( (oldest_requirements; cat "$REPO_ROOT/emulator/pyproject.toml") | sha256sum | cut -d' ' -f1)
    if [ -x "$VENV_OLDEST/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    python=$(find_python311) || die "Python 3.11 not found (PATH, pyenv or apt)"
    log "creating virtualenv $VENV_OLDEST with $python (ansible-core $ANSIBLE_CORE_OLDEST)"
    rm -rf "$VENV_OLDEST"
    "$python" -m venv "$VENV_OLDEST"
    requirements=$(mktemp)
    oldest_requirements > "$requirements"
    VENV=$VENV_OLDEST venv_pip install --upgrade pip
    VENV=$VENV_OLDEST venv_pip install -r "$requirements" -e "$REPO_ROOT/emulator"
    rm -f "$requirements"
    "$VENV_OLDEST/bin/python" -m pip check >/dev/null || die "pip check failed in $VENV_OLDEST"
    echo "$want" > "$stamp"
}

run_sanity() {
    local work dest
    work=$(mktemp -d)
    on_exit_dirs+=("$work")
    dest=$(ansible_test_tree "$work")
    log "ansible-test $ANSIBLE_CORE_OLDEST sanity --test validate-modules --test import (Python 3.11)"
    (cd "$dest" && ansible-test sanity --local --python 3.11 --color no --test validate-modules --test import)
}

run_unit() {
    log "unit tests on ansible-core $ANSIBLE_CORE_OLDEST"
    # ansible_compat_plugin: patch_module_args for cores older than 2.19.
    (cd "$REPO_ROOT" && PYTHONPATH="$REPO_ROOT/tests/packaging${PYTHONPATH:+:$PYTHONPATH}" \
        python -m pytest -p no:cacheprovider -p ansible_compat_plugin -q tests/unit)
}

# A representative subset by default (the full set runs on the primary toolchain): every module's EXAMPLES, the
# four playbooks end to end, and the target of the batch AccessKey reconciliation the provision role relies on.
# MATRIX_INTEGRATION_TARGETS="ram_user ram_access_key ..." picks targets; "all" runs every target.
MATRIX_INTEGRATION_TARGETS=${MATRIX_INTEGRATION_TARGETS:-ram_access_keys}

run_integration() {
    local selection=() target
    if [ "$MATRIX_INTEGRATION_TARGETS" = all ]; then
        selection=(tests/integration)
    else
        # the playbooks end to end (provision, rotate, audit, revoke), as on the newest core
        selection=(tests/integration/test_examples.py tests/integration/test_playbook_flows.py)
        for target in $MATRIX_INTEGRATION_TARGETS; do
            [ -f "$REPO_ROOT/tests/integration/targets/$target/tasks/main.yml" ] || die "no integration target '$target'"
            selection+=("tests/integration/test_targets.py::test_target_against_emulator[$target]")
        done
    fi
    log "integration on ansible-core $ANSIBLE_CORE_OLDEST: ${selection[*]}"
    (cd "$REPO_ROOT" && python -m pytest -p no:cacheprovider -q --durations=0 "${selection[@]}")
}

on_exit_dirs=()
remove_work_dirs() {
    local dir
    for dir in "${on_exit_dirs[@]}"; do rm -rf "$dir"; done
}
trap remove_work_dirs EXIT

main() {
    local parts=("$@") part
    [ ${#parts[@]} -gt 0 ] || parts=(sanity unit integration)
    for part in "${parts[@]}"; do
        declare -F "run_$part" >/dev/null || die "unknown part '$part' (sanity unit integration)"
    done
    activate                 # collection link, ANSIBLE_* settings, no proxies
    ensure_oldest_venv
    # shellcheck disable=SC1091
    . "$VENV_OLDEST/bin/activate"
    python -c "import ansible, sys; assert ansible.__version__ == '$ANSIBLE_CORE_OLDEST', ansible.__version__" \
        || die "$VENV_OLDEST does not run ansible-core $ANSIBLE_CORE_OLDEST"
    local started
    for part in "${parts[@]}"; do
        started=$SECONDS
        "run_$part"
        log "matrix $part passed on ansible-core $ANSIBLE_CORE_OLDEST in $((SECONDS - started)) s"
    done
}

main "$@"
