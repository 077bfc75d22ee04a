# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The awx.awx collection for the checks of extensions/awx/create_credential_type.yml, from the package registry.

Galaxy is not reachable from the project's machines; PyPI is. The Ansible community package shipped awx.awx up to
its version 13 (14 dropped it): its wheel is downloaded with pip (no dependencies, nothing installed) and only
ansible_collections/awx/awx is kept, in .cache/awx-collection (reused while AWX_PACKAGE stays the same).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

AWX_PACKAGE = 'ansible==13.8.0'
PREFIX = 'ansible_collections/awx/awx/'
REPO_ROOT = Path(__file__).resolve().parents[2]
DEST = REPO_ROOT / '.cache' / 'awx-collection'


def awx_collections_path():
    """A collections path holding awx.awx (downloaded on first use); raises CalledProcessError if pip cannot."""
    stamp = DEST / '.package'
    if stamp.is_file() and stamp.read_text().strip() == AWX_PACKAGE and (DEST / PREFIX / 'MANIFEST.json').is_file():
        return DEST
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', work,
                        AWX_PACKAGE], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wheel = next(Path(work).glob('*.whl'))
        if DEST.exists():
            shutil.rmtree(str(DEST))
        with zipfile.ZipFile(str(wheel)) as archive:
            archive.extractall(str(DEST), [name for name in archive.namelist() if name.startswith(PREFIX)])
    stamp.write_text(AWX_PACKAGE + '\n')
    return DEST
