"""Eight concurrent SDK clients creating users and keys: no lost updates."""

from __future__ import annotations

import threading

from conftest import ram


def test_concurrent_clients_lose_nothing(emu, server):
    failures = []

    def worker(index: int):
        try:
            c = emu.ram()
            for n in range(6):
                name = f"w{index}-{n}"
                c.create_user(ram.CreateUserRequest(user_name=name))
                c.create_access_key(ram.CreateAccessKeyRequest(user_name=name))
                c.create_access_key(ram.CreateAccessKeyRequest(user_name=name))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    users = {name for name in server.store.state["users"] if name.startswith("w")}
    assert len(users) == 48
    owners = [k["owner"] for k in server.store.state["access_keys"].values() if k["owner"].startswith("w")]
    assert len(owners) == 96 and set(owners) == users
    listed = emu.ram().list_users(ram.ListUsersRequest(max_items=1000)).body.users.user
    assert len(listed) == 49
