"""Children that end with their parent, even one killed by SIGKILL: Linux's parent-death signal.

`prctl(PR_SET_PDEATHSIG)` is set in the child between fork and exec (a `preexec_fn`) and survives the exec. The
kernel sends it when the *thread* that forked the child ends, not the process: a child started from a short-lived
thread would be signalled when that thread ends. So it is set only for children started on the main thread, which
lives as long as the process (`kf up` starts all of its children there). Elsewhere (not Linux, no C library, another
thread) there is no preexec_fn and a child outlives a parent killed by SIGKILL, as before.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up in the parent (the child between fork and exec should do as little as it can)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen` that has the child sent `sig` when this process ends, or None where that
    cannot be had (see the module's docstring). Call it just before Popen, on the thread that calls Popen."""
    prctl = _prctl()
    if prctl is None or threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()

    def in_child() -> None:
        # Until exec the child runs with the parent's Python signal handlers (`kf up` only notes a SIGTERM and goes
        # on): the default action makes a death signal arriving before exec end the child, not be lost.
        signal.signal(sig, signal.SIG_DFL)
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        # The parent may have died before prctl took effect: then no signal comes, and the child is another's now.
        if os.getppid() != parent:
            os._exit(1)

    return in_child
