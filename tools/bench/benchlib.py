"""Shared helpers of the benchmarks in tools/bench (see README.md).

A run spawns one VMM with its serial console on a pipe, timestamps every
output line as it arrives (time.monotonic, from just before the process
is spawned), and collects the exit status and the peak RSS (wait4's
ru_maxrss) when it ends or is killed at the time limit.
"""
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
QEMU = "qemu-system-x86_64"
# Debian's QEMU boots its fastest with qboot (no option ROM scan, no boot
# menu); SeaBIOS under kvm_pvm takes about 20 s because CPL0 is emulated.
QBOOT = "/usr/share/qemu/qboot.rom"
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
# isa-debug-exit: the payloads write 0x10 on success, status (V << 1) | 1.
STATUS_PASS = 33


def die(msg):
    print("%s: %s" % (os.path.basename(sys.argv[0]), msg), file=sys.stderr)
    sys.exit(1)


def bazel_bin():
    r = subprocess.run(["bazel", "info", "-c", "opt", "bazel-bin"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True, check=True)
    return r.stdout.strip()


def try_build(targets):
    """Builds TARGETS with -c opt: None, or why they did not build."""
    r = subprocess.run(["bazel", "build", "-c", "opt"] + targets, cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode == 0:
        return None
    errors = [l.strip() for l in r.stdout.splitlines()
              if re.search(r"\berror\b", l, re.I)]
    return "bazel build failed: " + (errors[0] if errors else
                                     " ".join(targets))


def bazel_build(targets):
    """Builds TARGETS with -c opt or dies; returns the bazel-bin folder."""
    why = try_build(targets)
    if why:
        die(why)
    return bazel_bin()


def qemu_path():
    return shutil.which(QEMU)


def qemu_firmware():
    """-bios for Debian's QEMU: qboot where installed, else its default."""
    return ["-bios", QBOOT] if os.path.exists(QBOOT) else []


def kvm_usable():
    """None if /dev/kvm can be opened read-write, else why not."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "/dev/kvm: " + e.strerror
    os.close(fd)
    return None


def kvm_is_pvm():
    return os.path.isdir("/sys/module/kvm_pvm")


class Run:
    """One finished VMM process."""

    def __init__(self, argv):
        self.argv = argv
        self.lines = []         # (seconds since spawn, text)
        self.status = None      # exit status, or -signal
        self.timed_out = False
        self.end = None         # seconds since spawn when it ended
        self.maxrss_kib = None
        self.stderr = ""

    def find(self, pattern):
        """(time, match) of the first line matching PATTERN, or None."""
        rx = re.compile(pattern)
        for t, text in self.lines:
            m = rx.search(text)
            if m:
                return t, m
        return None

    def why_failed(self):
        """A one-line reason for a run that did not do what was expected."""
        if self.timed_out:
            return "no result within %.0f s (killed)" % self.end
        last = self.stderr.strip().splitlines()[-1:] or \
            [text for _, text in self.lines[-1:]] or ["no output"]
        return "exit status %s: %s" % (self.status, last[0].strip())


def run_vm(argv, timeout, stop_after=None):
    """Runs ARGV (stdin /dev/null), stopping it after TIMEOUT seconds.

    STOP_AFTER, a regular expression: once a line matches, the process gets
    2 more seconds to end by itself (e.g. power off) before it is killed;
    the run does not count as timed out then.
    """
    run = Run(argv)
    stop_rx = re.compile(stop_after) if stop_after else None
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = t0 + timeout
    fds = {proc.stdout.fileno(): b"", proc.stderr.fileno(): b""}
    err = b""
    while fds:
        left = deadline - time.monotonic()
        if left <= 0:
            if not (stop_rx and any(stop_rx.search(t) for _, t in run.lines)):
                run.timed_out = True
            break
        ready, _, _ = select.select(list(fds), [], [], left)
        now = time.monotonic() - t0
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                del fds[fd]
                continue
            if fd == proc.stderr.fileno():
                err += data
                continue
            buf = fds[fd] + data
            *complete, fds[fd] = buf.split(b"\n")
            for raw in complete:
                text = raw.decode("utf-8", "replace").rstrip("\r")
                run.lines.append((now, text))
                if stop_rx and stop_rx.search(text):
                    deadline = min(deadline, time.monotonic() + 2)
    # wait4 rather than Popen.poll/wait, which would reap without rusage.
    # After end of output the process gets until the deadline to exit.
    while True:
        pid, wstatus, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if fds or time.monotonic() >= deadline:
            if not fds and not (stop_rx and any(stop_rx.search(t)
                                                for _, t in run.lines)):
                run.timed_out = True
            os.kill(proc.pid, signal.SIGKILL)
            _, wstatus, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    run.end = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(wstatus)
    run.status = proc.returncode
    run.maxrss_kib = rusage.ru_maxrss
    run.stderr = err.decode("utf-8", "replace")
    proc.stdout.close()
    proc.stderr.close()
    return run


def median(values):
    return statistics.median(values) if values else None


def fmt(v, spec="%.3f"):
    return "-" if v is None else spec % v


def ratio_line(ours, peer, value, unit):
    """The closing line: ours / peer for VALUE (None: not measured)."""
    if value[0] is None or value[1] is None:
        print("ratio %s / %s: n/a (%s)" % (ours, peer, unit))
    else:
        print("ratio %s / %s: %.3f (%s)" % (ours, peer,
                                            value[0] / value[1], unit))


def tsc_hz():
    """(Hz, where from) of the host TSC, which KVM guests see unscaled.

    The kernel's own figure (dmesg's "tsc: Refined/Detected ... MHz") where
    it can be read, else /proc/cpuinfo's "cpu MHz" when the TSC is
    constant (constant_tsc), which is then the TSC rate.
    """
    try:
        r = subprocess.run(["dmesg"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=10)
        found = re.findall(r"tsc: (?:Refined TSC clocksource calibration:"
                           r"|Detected) ([0-9.]+) MHz", r.stdout)
        if found:
            return float(found[-1]) * 1e6, "dmesg"
    except (OSError, subprocess.SubprocessError):
        pass
    with open("/proc/cpuinfo") as f:
        info = f.read()
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", info, re.M)
    if flags and mhz and "constant_tsc" in flags.group(1).split():
        return float(mhz.group(1)) * 1e6, "/proc/cpuinfo cpu MHz"
    return None, "unknown (no dmesg line, no constant_tsc)"
