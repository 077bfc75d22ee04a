#!/usr/bin/env bash
# Builds the collection's docsite (plugin and role docs + the guides in docs/docsite) from the working tree
# into .cache/docsite/build/html, with antsibull-docs and Sphinx, offline. Sphinx warnings fail the build.
# Usage: scripts/docs.sh [DEST_DIR]     (default .cache/docsite)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
activate

dest=${1:-$REPO_ROOT/.cache/docsite}
rm -rf "$dest"
mkdir -p "$dest"
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$dest" aliyun.ram >/dev/null

# No network here: intersphinx may not fetch docs.ansible.com. The generated pages link to a few labels of the
# Ansible documentation (common return values, configuration settings, ansible.builtin plugins), so resolve them
# from a small local inventory instead, written by the same Sphinx that reads it.
python - "$dest/ansible_devel.inv" <<'PY'
import pathlib, sys, zlib
import ansible
labels = {
    'common_return_values': ('reference_appendices/common_return_values.html', 'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html', 'Ansible Configuration Settings'),
    'list_of_collections': ('collections/index.html', 'Collection Index'),
    'collections_keyword': ('collections_guide/collections_using_playbooks.html', 'Using collections in a playbook'),
    'action_plugins': ('plugins/action.html', 'Action plugins'),
    'callback_plugins': ('plugins/callback.html', 'Callback plugins'),
    'list_of_callback_plugins': ('collections/callback_index_stdout.html', 'Index of all Callback Plugins'),
}
root = pathlib.Path(ansible.__file__).parent
plugin_dirs = {'module': root / 'modules'}
plugin_dirs.update((kind, root / 'plugins' / kind) for kind in
                   ('become', 'cache', 'callback', 'connection', 'filter', 'inventory', 'lookup', 'shell', 'strategy',
                    'test', 'vars'))
for kind, folder in plugin_dirs.items():
    for path in folder.iterdir():
        name = path.stem
        if name.startswith('_') or path.suffix not in ('.py', '.yml', '.yaml'):
            continue
        labels['ansible_collections.ansible.builtin.%s_%s' % (name, kind)] = (
            'collections/ansible/builtin/%s_%s.html' % (name, kind), 'ansible.builtin.%s %s' % (name, kind))
lines = ''.join('%s std:label -1 %s %s\n' % (label, uri, title) for label, (uri, title) in sorted(labels.items()))
header = ('# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
          '# The remainder of this file is compressed using zlib.\n')
pathlib.Path(sys.argv[1]).write_bytes(header.encode() + zlib.compress(lines.encode()))
PY
cat >> "$dest/conf.py" <<PYCONF

# Offline: only the local inventory written by scripts/docs.sh.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '$dest/ansible_devel.inv'),
}
PYCONF

log "antsibull-docs + sphinx-build into $dest/build/html"
"$dest/build.sh"
