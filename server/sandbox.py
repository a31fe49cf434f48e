"""The query workers cannot reach the network, whatever the query says (defence in depth behind :mod:`.safety`).

:func:`confine` runs in each worker process after it has opened the store and before it reads its first
request. Two independent layers, each applied when the kernel allows it:

* **network namespace** — ``unshare(CLONE_NEWNET)``: the worker gets an empty network stack (not even a
  usable loopback), so ``connect`` fails with "Network is unreachable". Needs ``CAP_SYS_ADMIN`` (root, or a
  container that grants it) or unprivileged user namespaces.
* **seccomp filter** — through libseccomp (``libseccomp.so.2``, loaded with ctypes): ``socket(AF_INET, …)``
  and ``socket(AF_INET6, …)`` fail with EACCES, and so do ``io_uring_setup`` (a way around syscall filters)
  and ``socket(AF_PACKET, …)``. Works unprivileged (it sets no_new_privs first) on any Linux with
  seccomp-bpf and libseccomp installed (Debian/Ubuntu: ``libseccomp2``).

Unix sockets (the worker's pipe to the server) keep working. The result is reported to the server, which logs
a warning when neither layer could be applied and shows it in ``/healthz`` (``"sandbox"``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import socket

CLONE_NEWNET = 0x40000000
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4


def _errno_action(err: int) -> int:
    return 0x00050000 | (err & 0x0000FFFF)  # SCMP_ACT_ERRNO(err)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def _netns() -> str | None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        return f"unshare(CLONE_NEWNET) refused: {errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())}"
    return None


def _seccomp() -> str | None:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return "libseccomp is not installed"
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        return "seccomp_init failed"
    try:
        deny = _errno_action(errno.EACCES)
        nr_socket = lib.seccomp_syscall_resolve_name(b"socket")
        for family in (socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_PACKET", 17)):
            cmp = (_ArgCmp * 1)(_ArgCmp(0, SCMP_CMP_EQ, family, 0))
            if lib.seccomp_rule_add_array(ctx, deny, nr_socket, 1, cmp) != 0:
                return f"seccomp rule for socket family {family} was refused"
        nr_uring = lib.seccomp_syscall_resolve_name(b"io_uring_setup")
        if nr_uring >= 0:
            lib.seccomp_rule_add_array(ctx, deny, nr_uring, 0, None)
        if lib.seccomp_load(ctx) != 0:
            return "seccomp_load failed (no seccomp-bpf in this kernel?)"
    finally:
        lib.seccomp_release(ctx)
    return None


def confine(netns: bool = True, seccomp: bool = True) -> dict:
    """Apply both layers (or the ones asked for) to this process; returns what was applied
    ({"netns": bool, "seccomp": bool, "notes": […]})."""
    notes = []
    netns_problem = _netns() if netns else "not asked for"
    seccomp_problem = _seccomp() if seccomp else "not asked for"
    notes += [p for p in (netns_problem, seccomp_problem) if p]
    return {"netns": netns_problem is None, "seccomp": seccomp_problem is None, "notes": notes}
