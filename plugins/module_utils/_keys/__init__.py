# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this package are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""The AccessKey subsystem: one place per concern.

The secret of a key exists only in the CreateAccessKey response, and a user may hold at most two keys (inactive
ones count).  So a key is created only when nobody holds a usable one, a lost CreateAccessKey response is cleaned up
instead of leaving an orphan, and an active key is never deleted to make room.

* ``plan``: every decision, pure (the planner ``plan_keys`` with its ``KeyPolicy``, room under the limit, rotation,
  retirement, revocation, identities).
* ``api``: key and identity I/O (the table of "already gone" answers, STS identity parsing and verification).
* ``apply``: runs a plan (check mode and the deletion of an unfinished new key in ``KeyChanges``; per-user failures of
  a batch collected and raised once).
* ``run``: the entry points of ram_access_key, ram_access_keys, ram_access_key_info and sts_caller_info.
"""
