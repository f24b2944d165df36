"""`kf up`'s stop signals and its children's parent-death signal (kf/up.py, kf/embedded/lifeline.py); the whole
platform under SIGKILL and Ctrl-C is in tests/e2e/test_kf_up_lifecycle.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kf.embedded import lifeline
from kf.embedded.lifeline import die_with_parent
from kf.up import _Stop, _StopSignals

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
# A child that prints its parent-death signal (PR_GET_PDEATHSIG = 2), 0 for none.
PRINT_PDEATHSIG = ("import ctypes; v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v), 0, 0, 0); "
                   "print(v.value)")


def test_a_stop_outside_interrupting_is_only_noted():
    stops = _StopSignals()
    stops(signal.SIGINT, None)
    assert stops.requested


def test_a_stop_while_interrupting_raises_once_and_only_within_the_block():
    stops = _StopSignals()
    with pytest.raises(_Stop) as raised, stops.interrupting("seeding stopped"):
        stops(signal.SIGINT, None)
    assert (raised.value.message, raised.value.code) == ("seeding stopped", 0)
    assert stops.requested
    with stops.interrupting("again"):
        pass
    stops(signal.SIGTERM, None)  # after the block: noted, not raised


def test_a_second_stop_does_not_interrupt_the_stopping():
    stops = _StopSignals()
    with stops.interrupting("seeding stopped"):
        with pytest.raises(_Stop):
            stops(signal.SIGINT, None)
        stops(signal.SIGINT, None)  # a second Ctrl-C while the first _Stop unwinds: noted, not raised


def test_not_a_stop_exception_for_libraries_to_swallow():
    assert not issubclass(_Stop, Exception)


@linux_only
def test_a_child_started_on_the_main_thread_gets_sigterm_as_its_parent_death_signal():
    done = subprocess.run([sys.executable, "-c", PRINT_PDEATHSIG], preexec_fn=die_with_parent(),
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, str(int(signal.SIGTERM))), done.stderr


def test_no_parent_death_signal_from_another_thread():
    """The kernel would signal the child when that thread ends, not when the process does."""
    made = []
    thread = threading.Thread(target=lambda: made.append(die_with_parent()))
    thread.start()
    thread.join()
    assert made == [None]


@linux_only
def test_a_child_whose_parent_died_before_prctl_exits_at_once(monkeypatch):
    """As when the parent died between fork and prctl: the child's parent is not the one expected, and it never
    runs its program."""
    with monkeypatch.context() as patch:
        patch.setattr(lifeline.os, "getpid", lambda: 1)
        in_child = die_with_parent()
    done = subprocess.run([sys.executable, "-c", "print('ran')"], preexec_fn=in_child, capture_output=True,
                          text=True, timeout=30)
    assert (done.returncode, done.stdout) == (1, "")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@linux_only
def test_a_child_ends_when_its_parent_is_killed_by_sigkill(tmp_path):
    parent_code = ("import subprocess, sys; from kf.embedded.lifeline import die_with_parent; "
                   "child = subprocess.Popen(['sleep', '300'], preexec_fn=die_with_parent(), start_new_session=True); "
                   "print(child.pid, flush=True); sys.stdin.read()")
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    child = 0
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 20
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the child outlived its parent"
    finally:
        parent.kill()
        parent.wait()
        if child and _alive(child):
            os.kill(child, signal.SIGKILL)
