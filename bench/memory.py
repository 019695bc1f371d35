"""Memory and CPU time of a server process, for the benchmark scripts:
/proc/PID/status figures, resetting the peak (VmHWM), sampling the largest
RssAnon and VmRSS while a phase runs, and utime+stime from /proc/PID/stat."""

import os
import threading

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU seconds of pid so far, all its threads (10 ms
    resolution)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_file(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


def reset_hwm(pid):
    """Reset the peak RSS (VmHWM) of pid; False where not allowed."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Sampler:
    """Largest RssAnon and VmRSS of pid (KiB), read every 5 ms until
    finish(), which returns them as (anon, rss)."""

    def __init__(self, pid):
        self.pid, self.anon, self.rss = pid, 0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self):
        st = status_file(self.pid)
        self.anon = max(self.anon, st["RssAnon"])
        self.rss = max(self.rss, st["VmRSS"])

    def run(self):
        while not self.stop.wait(0.005):
            self.sample()

    def finish(self):
        self.stop.set()
        self.thread.join()
        self.sample()
        return self.anon, self.rss
