# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this package are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""RAM users, shaped like ``_keys``.

* ``plan``: every decision, pure (validated and merged specs, attribute/policy/group changes, the batch report).
* ``api``: user, policy, group and login profile I/O (the "already gone" answers come from ``_keys.api.GONE``).
* ``apply``: ensure or remove one user, find users, the users ``exclusive`` deletes.
* ``run``: the entry points of ram_user, ram_users and ram_user_info.
"""
