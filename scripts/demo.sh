#!/usr/bin/env bash
# The main job, end to end, with no Alibaba Cloud account: the RAM/STS emulator, three demo hosts
# (network namespaces with sshd), playbooks/provision.yml with the example inventory, run twice.
# The second run must report changed=0 and make no write API call.
# Set KEEP=1 to leave the emulator and the hosts running afterwards. Like real RAM, the emulator is eventually
# consistent: reads see a write PROPAGATION_DELAY seconds later (default 0.5; 0 for at once).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
activate
ensure_apt debootstrap iproute2 openssh-client

HOSTCTL=$REPO_ROOT/tests/hosts/hostctl
DEMO_DIR=$REPO_ROOT/.cache/demo
BRIDGE_IP=10.99.7.1
INVENTORY=$REPO_ROOT/playbooks/inventory/demo
HOSTS=(web1:10.99.7.11 web2:10.99.7.12 batch1:10.99.7.13)
emulator_pid=

cleanup() {
    [ "${KEEP:-0}" = 1 ] && return 0
    [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
    for spec in "${HOSTS[@]}"; do "$HOSTCTL" down "${spec%%:*}" >/dev/null 2>&1 || true; done
    "$HOSTCTL" bridge-down >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "building the demo hosts' image (once per machine)"
"$HOSTCTL" image
"$HOSTCTL" bridge-up
for spec in "${HOSTS[@]}"; do "$HOSTCTL" up "${spec%%:*}" "${spec#*:}"; done

log "starting the RAM/STS emulator on $BRIDGE_IP (the hosts reach it there)"
rm -rf "$DEMO_DIR" && mkdir -p "$DEMO_DIR"
ram-emulator --host "$BRIDGE_IP" --port 0 --port-file "$DEMO_DIR/port" --state "$DEMO_DIR/state.json" \
    --root-key-file "$DEMO_DIR/root.env" --admin-key-file "$DEMO_DIR/admin.env" \
    --admin-token-file "$DEMO_DIR/admin.token" --propagation-delay "${PROPAGATION_DELAY:-0.5}" \
    >"$DEMO_DIR/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 200); do [ -s "$DEMO_DIR/port" ] && break; sleep 0.05; done
[ -s "$DEMO_DIR/port" ] || { cat "$DEMO_DIR/emulator.log"; die "the emulator did not start"; }
port=$(cat "$DEMO_DIR/port")
# The controller works with a RAM user's key (ram-admin, AdministratorAccess), as Alibaba Cloud recommends.
set -a
# shellcheck disable=SC1091
. "$DEMO_DIR/admin.env"
set +a
export ALIBABA_CLOUD_RAM_ENDPOINT="http://$BRIDGE_IP:$port" ALIBABA_CLOUD_STS_ENDPOINT="http://$BRIDGE_IP:$port"
admin_api="http://$BRIDGE_IP:$port/_emulator"
# The emulator's admin API (counters, secrets), without depending on curl. Every call sends the admin token
# the emulator wrote at start (read from its file here, never put on a command line).
admin() {
    python - "$admin_api/$2" "$1" "$DEMO_DIR/admin.token" <<'PY'
import sys, urllib.request
with open(sys.argv[3], encoding='utf-8') as handle:
    headers = {'X-Emulator-Token': handle.read().strip()}
request = urllib.request.Request(sys.argv[1], method=sys.argv[2], data=b'{}' if sys.argv[2] == 'POST' else None,
                                 headers=headers)
print(urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10).read().decode())
PY
}
echo "    emulator: $ALIBABA_CLOUD_RAM_ENDPOINT  (root key of the emulated account: $DEMO_DIR/root.env)"

export ANSIBLE_PRIVATE_KEY_FILE
ANSIBLE_PRIVATE_KEY_FILE=$("$HOSTCTL" key)
export ANSIBLE_SSH_ARGS="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlMaster=auto -o ControlPersist=60s"

log "preparing the demo hosts (the app user the web servers' files belong to)"
ansible web -i "$INVENTORY" -m ansible.builtin.user -a "name=app" >/dev/null

run_provision() {
    local out=$DEMO_DIR/provision-$1.log
    ansible-playbook -i "$INVENTORY" "$REPO_ROOT/playbooks/provision.yml" | tee "$out"
    grep -E '^[a-z0-9]+ +: ok=' "$out" > "$DEMO_DIR/recap-$1.txt"
}

admin POST counters/reset >/dev/null
log "first run: creates the users and one key per user, writes every file"
run_provision 1
admin GET counters > "$DEMO_DIR/counters-1.json"

admin POST counters/reset >/dev/null
log "second run: must change nothing and make no write API call"
run_provision 2
admin GET counters > "$DEMO_DIR/counters-2.json"

if grep -vq 'changed=0 ' "$DEMO_DIR/recap-2.txt"; then
    die "the second run changed something: $(cat "$DEMO_DIR/recap-2.txt")"
fi
writes=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["writes"])' "$DEMO_DIR/counters-2.json")
[ "$writes" = 0 ] || die "the second run made $writes write API calls"

log "no secret in any output: every secret the emulator issued is searched for in both runs' logs"
admin GET secrets | python -c '
import json, sys
secrets = json.load(sys.stdin)["secrets"]
logs = "".join(open(path, errors="replace").read() for path in sys.argv[1:])
leaked = [s for s in secrets if s and s in logs]
print("    %d secrets checked, %d found in the logs" % (len(secrets), len(leaked)))
sys.exit(1 if leaked else 0)' "$DEMO_DIR"/provision-*.log || die "a secret appeared in the playbook output"

log "what a real consumer sees: the official Python SDK on web1 loads the aliyun CLI profile and asks STS who it is"
ansible web1 -i "$INVENTORY" -m ansible.builtin.copy -a "src=$REPO_ROOT/tests/consumers/whoami.py dest=/tmp/whoami.py mode=0644" >/dev/null
ansible web1 -i "$INVENTORY" --become --become-user app -m ansible.builtin.command -a \
    "env ALIBABA_CLOUD_STS_ENDPOINT=http://$BRIDGE_IP:$port /opt/aliyun-consumer/bin/python /tmp/whoami.py" \
    | grep -o '{"access_key_id".*}' | sed 's/^/    /' || die "the consumer on web1 could not use the deployed key"

cat <<EOM

Done: the second run reported changed=0 on every host and made $writes write API calls.
$(sed 's/^/    /' "$DEMO_DIR/recap-2.txt")

Where the files landed (mode 0600 unless noted):
    web1, web2:  ~app/.aliyun/config.json, ~app/.alibabacloud/credentials.ini and credentials,
                 /etc/demo-app/aliyun.env          (one shared key of RAM user demo-web)
    batch1:      /root/.ossutilconfig, /etc/passwd-ossfs (0640 root)   (RAM user demo-batch-batch1)
Logs: $DEMO_DIR/provision-1.log, provision-2.log; API call counts: counters-1.json, counters-2.json

Against a real account and your own inventory:
    export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...   # a RAM user's key, never the root key
    unset ALIBABA_CLOUD_RAM_ENDPOINT ALIBABA_CLOUD_STS_ENDPOINT
    ansible-playbook -i your-inventory playbooks/provision.yml --check --diff   # then without --check
EOM
