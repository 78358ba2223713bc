"""Containers with `tty: true`: `kubectl attach -it` and `kubectl run -it --rm`, end to end.

As tests/test_agent.py: `skiff up` runs inside a network namespace this test creates, and kubectl
runs in it too. kubectl needs a terminal for `-t`, so it runs on a pseudo-terminal this test
opens (its window size set first, so kubectl's resize message reaches the container's terminal).
Needs root, runc, umoci, busybox-static, ip and nsenter.
"""
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

import pytest

from conftest import KUBECTL, KUBECTL_VERSIONED, stop_process
from test_agent import apply, pod, pytestmark, started_node, wait_for  # noqa: F401  (pytestmark: same requirements)
from test_portforward import kubectl_cmd, running


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-tty-") as n:
        yield n


class Terminal:
    """A command on a pseudo-terminal of `rows` x `cols`; reads what it prints, types into it."""

    def __init__(self, cmd, rows=33, cols=111):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.screen = b""

    def type(self, text):
        os.write(self.master, text.encode())

    def read_until(self, needle, timeout=30):
        """Reads until `needle` was printed; fails with what was printed when it is not."""
        needle = needle.encode()
        deadline = time.time() + timeout
        while needle not in self.screen and time.time() < deadline:
            r, _, _ = select.select([self.master], [], [], 0.5)
            if r and not self._read():
                break
        assert needle in self.screen, f"{needle!r} not printed: {self.screen!r}"

    def _read(self):
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the command and everything on its terminal exited
            return False
        self.screen += chunk
        return bool(chunk)

    def wait(self, timeout=60):
        """Waits for the command to exit, reading its output to the end; returns its exit code."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r, _, _ = select.select([self.master], [], [], 0.5)
            if r and not self._read():
                break
        return self.proc.wait(timeout=max(1, deadline - time.time()))

    def close(self):
        stop_process(self.proc)
        os.close(self.master)


def shell_pod(name, **container):
    manifest = pod(name, ["/bin/sh"])
    manifest["spec"]["containers"][0].update(container)
    return manifest


@pytest.mark.parametrize("version", ["default", "1.29"])
def test_attach_it_to_a_tty_container(node, version):
    binary = KUBECTL if version == "default" else KUBECTL_VERSIONED.format(version)
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not installed")
    name = "tty-" + version.replace(".", "-")
    apply(node, shell_pod(name, tty=True, stdin=True))
    running(node, name)
    term = Terminal(kubectl_cmd(node, "attach", "-it", name, "-c", "main", binary=binary))
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.")
        term.type("echo hello-$((6*7))\r")
        term.read_until("hello-42\r\n")
        # kubectl sent its terminal's size (33 rows, 111 columns) on the resize channel.
        term.type("/bin/busybox stty size\r")
        term.read_until("33 111\r\n")
    finally:
        term.close()
    # Detaching leaves the container running; the terminal's output is its log, as stdout.
    assert "running" in node.get("pod", name)["status"]["containerStatuses"][0]["state"]
    logs = node.kubectl("logs", name)[1]
    assert "hello-42" in logs, logs


def test_attach_t_to_a_container_without_a_terminal_falls_back_to_plain_stdin(node):
    apply(node, shell_pod("plain", stdin=True, command=["/bin/sh", "-c", "while read line; do echo got:$line; done"]))
    running(node, "plain")
    term = Terminal(kubectl_cmd(node, "attach", "-it", "plain"))
    try:
        term.read_until("Unable to use a TTY - container main did not allocate one")
        term.type("hi\n")
        term.read_until("got:hi")
    finally:
        term.close()


def test_kubectl_run_it_rm(node):
    term = Terminal(kubectl_cmd(node, "run", "-it", "--rm", "--restart=Never", "oneshot", "--image=busybox",
                                "--image-pull-policy=IfNotPresent", "--", "sh"))
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.", timeout=60)
        term.type("echo hello-$((6*7)); exit 7\r")
        term.read_until("hello-42\r\n")
        rc = term.wait()
    finally:
        term.close()
    # The shell's exit ends the session; --rm deletes the Pod, and a non-zero exit is kubectl's.
    assert b'pod "oneshot" deleted' in term.screen, term.screen
    assert rc == 7 and b"terminated (Error)" in term.screen, (rc, term.screen)
    wait_for("pod oneshot gone", lambda: node.kubectl("get", "pod", "oneshot", check=False)[0] != 0)


def test_stdin_once_closes_stdin_after_the_first_attach(node):
    """`kubectl run -i` without a terminal: stdin piped through once, then the container reads EOF."""
    p = subprocess.run(kubectl_cmd(node, "run", "-i", "--rm", "--restart=Never", "catter", "--image=busybox",
                                   "--image-pull-policy=IfNotPresent", "--", "cat"),
                       input=b"line-one\nline-two\n", capture_output=True, timeout=90)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert b"line-one\nline-two\n" in p.stdout, (p.stdout, p.stderr)


def test_tty_container_survives_an_agent_restart(node):
    """The agent's terminal descriptor is kept by a keeper process while it is down (as
    containerd's shim keeps stdio), so the shell is not hung up, and a restarted agent attaches
    to the same shell again (a variable set before the restart is still there)."""
    apply(node, shell_pod("survivor", tty=True, stdin=True))
    running(node, "survivor")
    term = Terminal(kubectl_cmd(node, "attach", "-it", "survivor"))
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.")
        term.type("X=kept-$((40+2)); echo before-$((1+1))\r")
        term.read_until("before-2\r\n")
    finally:
        term.close()
    pids = [c["pid"] for c in node.containers()]
    node.kill9()
    node.start()
    running(node, "survivor")
    term = Terminal(kubectl_cmd(node, "attach", "-it", "survivor"))
    try:
        term.read_until("If you don't see a command prompt, try pressing enter.")
        term.type("echo $X hello-$((6*7))\r")
        term.read_until("kept-42 hello-42\r\n")
    finally:
        term.close()
    assert [c["pid"] for c in node.containers()] == pids
    status = node.get("pod", "survivor")["status"]["containerStatuses"][0]
    assert status["restartCount"] == 0 and "running" in status["state"], status
    logs = node.kubectl("logs", "survivor")[1]
    assert "before-2" in logs and "kept-42 hello-42" in logs, logs
