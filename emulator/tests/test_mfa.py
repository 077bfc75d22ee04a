"""Virtual MFA devices: create, bind with two consecutive TOTP codes, unbind, delete, and DeleteUser's conflict."""

from __future__ import annotations

import base64
import zlib

import pytest

from conftest import api_error, ram
from ram_emulator import totp


def make_device(c, name="dev1"):
    return c.create_virtual_mfadevice(ram.CreateVirtualMFADeviceRequest(virtual_mfadevice_name=name)).body.virtual_mfadevice


def codes(server, seed, steps_back=1):
    """Two consecutive codes, as an authenticator shows them, at the emulator's clock."""
    now = server.store.now()
    return (totp.code(seed, now - steps_back * totp.STEP_SECONDS),
            totp.code(seed, now - (steps_back - 1) * totp.STEP_SECONDS))


def bind(c, server, device, user, **kwargs):
    code1, code2 = codes(server, device.base_32string_seed, **kwargs)
    return c.bind_mfadevice(ram.BindMFADeviceRequest(serial_number=device.serial_number, user_name=user,
                                                     authentication_code_1=code1, authentication_code_2=code2))


def test_rfc6238_vectors():
    seed = base64.b32encode(b"12345678901234567890").decode()       # the RFC 6238 SHA-1 test key
    assert [totp.code(seed, t, digits=8) for t in (59, 1111111109, 1234567890, 2000000000)] == \
        ["94287082", "07081804", "89005924", "69279037"]


def test_create_returns_seed_serial_and_png(emu, server):
    c = emu.ram()
    device = make_device(c)
    account = server.store.state["account_id"]
    assert device.serial_number == f"acs:ram::{account}:mfa/dev1"
    assert len(device.base_32string_seed) == 32 and base64.b32decode(device.base_32string_seed)
    png = base64.b64decode(device.qrcode_png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"otpauth://totp/" in png
    assert zlib.decompress(png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8])     # a real PNG image stream
    assert device.base_32string_seed in emu.admin("GET", "secrets")[1]["secrets"]
    assert device.base_32string_seed not in str(emu.admin("GET", "state")[1])
    assert api_error(lambda: make_device(c)) == ("EntityAlreadyExists.VirtualMFADevice", 409)
    assert api_error(lambda: make_device(c, "bad name")) == ("InvalidParameter.VirtualMFADeviceName.InvalidChars", 400)
    assert api_error(lambda: make_device(c, "d" * 65)) == ("InvalidParameter.VirtualMFADeviceName.Length", 400)
    listed = c.list_virtual_mfadevices().body.virtual_mfadevices.virtual_mfadevice
    assert [(d.serial_number, d.user, d.activate_date) for d in listed] == [(device.serial_number, None, None)]


def test_bind_lifecycle_and_delete_user_conflict(emu, server):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="mfa-user", display_name="M F A"))
    c.create_user(ram.CreateUserRequest(user_name="other"))
    device = make_device(c)
    assert api_error(lambda: c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="mfa-user"))) == \
        ("EntityNotExist.User.MFADevice", 404)
    bind(c, server, device, "mfa-user")
    info = c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="mfa-user")).body.mfadevice
    assert (info.serial_number, info.type) == (device.serial_number, "VMFA")
    user_id = c.get_user(ram.GetUserRequest(user_name="mfa-user")).body.user.user_id
    [listed] = c.list_virtual_mfadevices().body.virtual_mfadevices.virtual_mfadevice
    assert listed.activate_date and (listed.user.user_id, listed.user.user_name, listed.user.display_name) == \
        (user_id, "mfa-user", "M F A")
    # One device per user, one user per device.
    second = make_device(c, "dev2")
    assert api_error(lambda: bind(c, server, second, "mfa-user")) == ("EntityAlreadyExists.User.MFADevice", 409)
    assert api_error(lambda: bind(c, server, device, "other")) == ("EntityAlreadyExists.VirtualMFADevice.User", 409)
    # DeleteUser refuses while a device is bound (Terraform's force delete unbinds first); so does the device delete.
    assert api_error(lambda: c.delete_user(ram.DeleteUserRequest(user_name="mfa-user"))) == \
        ("DeleteConflict.User.MFADevice", 409)
    assert api_error(lambda: c.delete_virtual_mfadevice(ram.DeleteVirtualMFADeviceRequest(
        serial_number=device.serial_number))) == ("DeleteConflict.VirtualMFADevice.User", 409)
    # A rename keeps the binding.
    c.update_user(ram.UpdateUserRequest(user_name="mfa-user", new_user_name="renamed"))
    assert c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="renamed")).body.mfadevice.serial_number
    unbound = c.unbind_mfadevice(ram.UnbindMFADeviceRequest(user_name="renamed")).body.mfadevice
    assert unbound.serial_number == device.serial_number
    assert api_error(lambda: c.unbind_mfadevice(ram.UnbindMFADeviceRequest(user_name="renamed"))) == \
        ("EntityNotExist.User.MFADevice", 404)
    c.delete_user(ram.DeleteUserRequest(user_name="renamed"))
    c.delete_virtual_mfadevice(ram.DeleteVirtualMFADeviceRequest(serial_number=device.serial_number))
    assert api_error(lambda: c.delete_virtual_mfadevice(ram.DeleteVirtualMFADeviceRequest(
        serial_number=device.serial_number))) == ("EntityNotExist.VirtualMFADevice", 404)
    assert [d.serial_number for d in c.list_virtual_mfadevices().body.virtual_mfadevices.virtual_mfadevice] == \
        [second.serial_number]


def test_bind_checks_the_codes(emu, server):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="u"))
    device = make_device(c)
    serial = device.serial_number

    def attempt(code1, code2, user="u", serial_number=serial):
        return api_error(lambda: c.bind_mfadevice(ram.BindMFADeviceRequest(
            serial_number=serial_number, user_name=user, authentication_code_1=code1, authentication_code_2=code2)))

    code1, code2 = codes(server, device.base_32string_seed)
    assert attempt(code2, code1) == ("CheckAuthenticationCodeFail", 403)          # not in order
    assert attempt(code1, code1) == ("CheckAuthenticationCodeFail", 403)
    stale = codes(server, device.base_32string_seed, steps_back=5)
    assert attempt(*stale) == ("CheckAuthenticationCodeFail", 403)                 # minutes old
    assert attempt("12345", code2) == ("InvalidParameter.AuthenticationCode.Format", 400)
    assert attempt(code1, "abcdef") == ("InvalidParameter.AuthenticationCode.Format", 400)
    assert attempt(code1, code2, user="nobody") == ("EntityNotExist.User", 404)
    assert attempt(code1, code2, serial_number=serial + "x") == ("EntityNotExist.VirtualMFADevice", 404)
    # The emulator's clock drives TOTP: codes from the moved clock bind.
    emu.admin("POST", "clock", {"offset_seconds": 3600})
    bind(c, server, device, "u", steps_back=2)
    assert c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="u")).body.mfadevice.serial_number == serial


def test_device_limit(emu, monkeypatch):
    monkeypatch.setattr("ram_emulator.validation.MAX_MFA_DEVICES", 1)
    c = emu.ram()
    make_device(c)
    assert api_error(lambda: make_device(c, "dev2")) == ("LimitExceeded.VirtualMFADevice", 409)


def test_read_only_policy_reads_mfa_but_cannot_bind(emu, server):
    key_id, secret = emu.user_with_key("reader", "AliyunRAMReadOnlyAccess")
    reader = emu.ram(key_id, secret)
    device = make_device(emu.ram())
    assert reader.list_virtual_mfadevices().body.virtual_mfadevices.virtual_mfadevice
    assert api_error(lambda: bind(reader, server, device, "reader")) == ("NoPermission", 403)


@pytest.mark.parametrize("delay", [60])
def test_binding_propagates_like_any_write(emu, server, delay):
    c = emu.ram()
    c.create_user(ram.CreateUserRequest(user_name="lag"))
    device = make_device(c)
    emu.admin("POST", "modes", {"propagation_delay": delay})
    bind(c, server, device, "lag")
    assert api_error(lambda: c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="lag"))) == \
        ("EntityNotExist.User.MFADevice", 404)
    assert api_error(lambda: c.delete_user(ram.DeleteUserRequest(user_name="lag"))) == \
        ("DeleteConflict.User.MFADevice", 409)
    emu.admin("POST", "clock", {"offset_seconds": delay})
    assert c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="lag")).body.mfadevice.serial_number
