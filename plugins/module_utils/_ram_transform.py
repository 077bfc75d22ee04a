# -*- coding: utf-8 -*-
# Copyright (c) 2026 aliyun.ram contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the aliyun.ram collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""Response shapes to module results: list wrappers, snake_case keys, dates and ages."""

from __future__ import annotations

import datetime

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

_DATE_FORMATS = ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S.%fZ', '%Y-%m-%dT%H:%MZ')


def unwrap_list(body, outer, inner):
    """``{"Users": {"User": [...]}}`` -> ``[...]``; missing, null or empty wrappers give ``[]``."""
    wrapper = (body or {}).get(outer)
    if not isinstance(wrapper, dict):
        return []
    items = wrapper.get(inner)
    if items is None:
        return []
    if isinstance(items, dict):
        # XML-style bodies collapse a one-element list into the element itself
        return [items]
    return list(items)


def to_snake(obj):
    """CamelCase API object -> snake_case dict (None stays None)."""
    if obj is None:
        return None
    return camel_dict_to_snake_dict(dict(obj))


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def parse_date(value):
    """An API date (UTC, ``YYYY-MM-DDThh:mm:ssZ``) as an aware datetime, or None when absent/unparsable."""
    if not value:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).replace(tzinfo=datetime.timezone.utc)
        except (TypeError, ValueError):
            continue
    return None


def age_days(create_date, now):
    """Whole days since ``create_date`` (None when the date is unknown)."""
    created = parse_date(create_date)
    if created is None:
        return None
    return max(0, int((now - created).total_seconds() // 86400))
