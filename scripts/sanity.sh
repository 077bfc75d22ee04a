#!/usr/bin/env bash
# ansible-test sanity (and units) from a copy of the tree at …/ansible_collections/aliyun/ram:
# ansible-test needs that physical path, and a copy keeps its output out of the checkout.
# Usage: scripts/sanity.sh [extra ansible-test sanity args, e.g. --test validate-modules]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
activate
ensure_apt shellcheck

# ansible-test bootstraps pip in its sanity venvs with a script it downloads; serve it from the cache.
pip_version=$(python - <<'PY'
import re, pathlib, ansible_test
src = pathlib.Path(ansible_test.__file__).parent.joinpath('_internal', 'python_requirements.py').read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
mkdir -p "$HOME/.ansible/test/cache"
cp "$REPO_ROOT/tests/sanity/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/aliyun/ram
mkdir -p "$dest"
# Only what git tracks or would track (untracked, not ignored): the same set ansible-test looks at.
(cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$dest"
cd "$dest"
git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
log "ansible-test sanity --local --python $python_version $*"
ansible-test sanity --local --python "$python_version" --color no "$@"
