#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Where a hung guest's CPUs are: asks QEMU's monitor for every vCPU's registers a few times
and prints each RIP, plus the kernel-text words found on the stack (a raw backtrace), named
from System.map.

  hang-report.py MONITOR_SOCKET KALLSYMS_GZ [SAMPLES]

KALLSYMS_GZ is the guest's /proc/kallsyms text symbols, saved by its init at boot (the guest
runs with KASLR, and Debian's System.map is a placeholder). Without it, addresses are unnamed.
"""
import bisect
import gzip
import re
import socket
import sys
import time


class Monitor:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.read_until_prompt()

    def read_until_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self.s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace")

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        out = self.read_until_prompt()
        # The monitor echoes the command (with terminal escapes) before its output.
        out = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out)
        lines = out.replace("\r", "").split("\n")
        return "\n".join(l for l in lines[1:] if l != "(qemu) ")


class Symbols:
    """Text symbols of the hung boot, as the guest's init saved them from /proc/kallsyms."""

    def __init__(self, kallsyms_gz):
        pairs = []
        try:
            with gzip.open(kallsyms_gz, "rt", errors="replace") as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 3 and p[1] in "tT":
                        name = p[2] + (" " + p[3] if len(p) > 3 else "")
                        pairs.append((int(p[0], 16), name))
        except (OSError, EOFError, ValueError):
            pass
        pairs.sort()
        self.addrs = [a for a, _ in pairs]
        self.names = [n for _, n in pairs]

    def name(self, addr):
        if not self.addrs or addr < self.addrs[0] or addr > self.addrs[-1] + 0x10000:
            return None
        i = bisect.bisect_right(self.addrs, addr) - 1
        if addr - self.addrs[i] > 0x10000:  # past the end of any function: data, not a frame
            return None
        return f"{self.names[i].split()[0]}+{addr - self.addrs[i]:#x}" + (
            " " + self.names[i].split()[1] if " " in self.names[i] else "")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sock, kallsyms = sys.argv[1:3]
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    syms = Symbols(kallsyms)
    mon = Monitor(sock)
    mon.cmd("stop")
    if not syms.addrs:
        print(f"no symbols in {kallsyms}: addresses unnamed")
    for n in range(samples):
        if n:
            mon.cmd("cont")
            time.sleep(1)
            mon.cmd("stop")
        regs = mon.cmd("info registers -a")
        for cpu, body in re.findall(r"CPU#(\d+)\n(.*?)(?=\nCPU#|\Z)", regs, re.S):
            rip = re.search(r"RIP=([0-9a-f]+)", body)
            rsp = re.search(r"RSP=([0-9a-f]+)", body)
            efl = re.search(r"RFL=([0-9a-f]+)", body)
            if not rip:
                continue
            rip, rsp = int(rip.group(1), 16), int(rsp.group(1), 16) if rsp else 0
            irqs = "irqs on" if efl and int(efl.group(1), 16) & 0x200 else "irqs off"
            print(f"sample {n} cpu {cpu}: RIP {rip:#x} {syms.name(rip) or '?'} ({irqs})")
            if n or not rsp:
                continue
            mon.cmd(f"cpu {cpu}")
            words = re.findall(r":\s+0x([0-9a-f]+)(?:\s+0x([0-9a-f]+))?", mon.cmd(f"x/96gx {rsp:#x}"))
            frames = []
            for pair in words:
                for w in pair:
                    if w and (nm := syms.name(int(w, 16))):
                        frames.append(f"    {int(w, 16):#x} {nm}")
            print("  stack (kernel text words from RSP up):")
            print("\n".join(frames) if frames else "    (none found)")
    mon.cmd("cont")
    return 0


if __name__ == "__main__":
    sys.exit(main())
