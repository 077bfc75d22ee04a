#!/usr/bin/env bash
# ansible-test sanity (and units) from a copy of the tree at …/ansible_collections/aliyun/ram:
# ansible-test needs that physical path, and a copy keeps its output out of the checkout.
# Usage: scripts/sanity.sh [extra ansible-test sanity args, e.g. --test validate-modules]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
activate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$(ansible_test_tree "$work")
cd "$dest"
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
log "ansible-test sanity --local --python $python_version $*"
ansible-test sanity --local --python "$python_version" --color no "$@"
