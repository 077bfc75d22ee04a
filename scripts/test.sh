#!/usr/bin/env bash
# The whole test suite. Creates its own virtualenv and installs the Debian packages it needs.
# Usage: scripts/test.sh            every stage
#        scripts/test.sh unit lint  only the named stages
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ALL_STAGES=(lint changelog sanity emulator unit security browser integration faults molecule docs packaging matrix)

# pytest exits 5 when it collected nothing: an empty selection must fail, not pass.
run_pytest() {
    local rc=0
    python -m pytest -p no:cacheprovider "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        die "pytest collected no tests for: $*"
    fi
    return "$rc"
}

stage_lint() {
    log "ansible-lint (production profile)"
    (cd "$REPO_ROOT" && ansible-lint --offline --profile production)
}

stage_changelog() {
    log "antsibull-changelog lint"
    (cd "$REPO_ROOT" && antsibull-changelog lint)
}

stage_sanity() {
    "$REPO_ROOT/scripts/sanity.sh"
}

stage_emulator() {
    log "emulator tests"
    run_pytest -q "$REPO_ROOT/emulator/tests"
}

stage_unit() {
    log "unit tests"
    run_pytest -q "$REPO_ROOT/tests/unit"
}

stage_security() {
    log "attack suite: credential_file and the credentials role against real unprivileged users (needs root)"
    run_pytest -q "$REPO_ROOT/tests/security"
}

stage_faults() {
    log "fault injection: throttling, lost responses, dead endpoints, killed writes, bad input, concurrency (each run leak-scanned)"
    run_pytest -q "$REPO_ROOT/tests/faults"
}

stage_browser() {
    log "audit report rendered in headless Chromium"
    ensure_apt chromium
    run_pytest -q "$REPO_ROOT/tests/audit"
}

stage_integration() {
    # ansible-rulebook's rule engine (tests/integration/test_eda.py) runs on Java 17
    ensure_apt openjdk-17-jre-headless
    log "integration targets against the emulator"
    run_pytest -q "$REPO_ROOT/tests/integration"
}

stage_molecule() {
    local scenarios=(default) name dir
    for dir in "$REPO_ROOT"/extensions/molecule/*/; do
        name=$(basename "$dir")
        [ -f "$dir/molecule.yml" ] && [ "$name" != default ] && scenarios+=("$name")
    done
    ensure_apt debootstrap
    # Test hosts must not outlive the run, whatever fails.
    on_exit+=("'$REPO_ROOT/tests/hosts/hostctl' down-all")
    "$REPO_ROOT/tests/hosts/hostctl" image
    local started
    for name in "${scenarios[@]}"; do
        log "molecule test -s $name"
        started=$SECONDS
        (cd "$REPO_ROOT" && molecule test -s "$name")
        log "molecule $name passed in $((SECONDS - started)) s"
    done
}

stage_docs() {
    log "antsibull-docs lint-collection-docs"
    (cd "$REPO_ROOT" && antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .)
    "$REPO_ROOT/scripts/docs.sh"
}

stage_packaging() {
    # The AWX tests fetch awx.awx from the package registry themselves (tests/support/awx_collection.py).
    log "packaging: Galaxy artifact and Galaxy's importer on it, execution environment, AWX credential type and runner, changelog release rehearsal"
    run_pytest -q "$REPO_ROOT/tests/packaging"
}

stage_matrix() {
    "$REPO_ROOT/scripts/matrix.sh"
}

# Clean-up commands run at exit, in order; stages add theirs.
on_exit=()
run_on_exit() {
    local command
    for command in "${on_exit[@]}"; do eval "$command" || true; done
}
trap run_on_exit EXIT

# The test hosts (network namespaces at fixed addresses) serve one stage at a time, so the stages that use them
# form one lane; every other stage runs in a second lane beside it. Each lane is its own test.sh process (its own
# errexit and clean-up trap), its lines prefixed with the lane's name. ALIYUN_RAM_TEST_LANES=1 runs one lane.
HOST_STAGES=(integration molecule)

uses_test_hosts() {
    local stage=$1 host_stage
    for host_stage in "${HOST_STAGES[@]}"; do [ "$stage" = "$host_stage" ] && return 0; done
    return 1
}

run_stages() {
    local started stage
    for stage in "$@"; do
        started=$SECONDS
        "stage_$stage"
        log "stage $stage passed in $((SECONDS - started)) s"
    done
    log "all stages passed: $*"
}

run_lanes() {
    local host_lane=() check_lane=() stage
    for stage in "$@"; do
        if uses_test_hosts "$stage"; then host_lane+=("$stage"); else check_lane+=("$stage"); fi
    done
    if [ ${#host_lane[@]} -eq 0 ] || [ ${#check_lane[@]} -eq 0 ]; then
        run_stages "$@"; return
    fi
    log "two lanes: hosts (${host_lane[*]}) beside checks (${check_lane[*]})"
    local started=$SECONDS host_rc=0 check_rc=0 host_pid check_pid
    ALIYUN_RAM_TEST_LANES=1 "$0" "${host_lane[@]}" > >(sed -u 's/^/[hosts] /') 2>&1 &
    host_pid=$!
    ALIYUN_RAM_TEST_LANES=1 "$0" "${check_lane[@]}" > >(sed -u 's/^/[checks] /') 2>&1 &
    check_pid=$!
    wait "$host_pid" || host_rc=$?
    wait "$check_pid" || check_rc=$?
    [ "$host_rc" -eq 0 ] || die "lane hosts failed (rc $host_rc): see the lines marked [hosts]"
    [ "$check_rc" -eq 0 ] || die "lane checks failed (rc $check_rc): see the lines marked [checks]"
    log "all stages passed in $((SECONDS - started)) s: $*"
}

main() {
    activate
    local stages=("$@") stage
    [ ${#stages[@]} -gt 0 ] || stages=("${ALL_STAGES[@]}")
    for stage in "${stages[@]}"; do
        declare -F "stage_$stage" >/dev/null || die "unknown stage '$stage' (stages: ${ALL_STAGES[*]})"
    done
    if [ "${ALIYUN_RAM_TEST_LANES:-2}" = 1 ]; then
        run_stages "${stages[@]}"
    else
        run_lanes "${stages[@]}"
    fi
}

main "$@"
