#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A bounded mutation run: mutants of the given traces through every reading command.

Each mutant is one trace with one damage, chosen with a fixed seed: bits flipped, bytes
overwritten with edge values, a slice cut out, duplicated or the file truncated. Half of the
damage goes inside one block's records, which are then stored uncompressed with a fresh
checksum (as a hostile writer would), so that it reaches the record decoders instead of
stopping at the checksum. Every command must exit 0, 1 or 2 (a damaged trace: one
"modrace: FILE: ... at offset N" line) within the time and memory limits, never with a signal
or a BUG line. Failing mutants are kept in OUT_DIR.

usage: mutate_traces.py MODRACE OUT_DIR TRACE... [--mutants N] [--seed S] [--no-memory-limit]
"""
import argparse
import concurrent.futures
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import zlib

HEADER = 16        # file header and block header sizes (docs/trace-format.md)
FLAG_ZSTD = 1
TIME_LIMIT = 20    # seconds per command
MEMORY_LIMIT = 1 << 30
EDGE_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF]


def commands(trace, out):
    return [["report", trace], ["report", "--format", "json", trace],
            ["report", "--format", "sarif", trace], ["report", "--format", "ktap", trace],
            ["info", trace], ["dump", trace], ["dump", "--json", "--stacks", trace],
            ["export", "--perfetto", out, trace]]


def blocks(data):
    """(offset, type, flags, payload) of each whole block."""
    off = struct.unpack_from("<I", data, 12)[0]
    out = []
    while off + HEADER <= len(data):
        btype, flags, stored, _raw, _crc = struct.unpack_from("<HHIII", data, off)
        if off + HEADER + stored > len(data):
            break
        out.append((off, btype, flags, data[off + HEADER:off + HEADER + stored]))
        off += HEADER + stored
    return out


def decompress(payload):
    return subprocess.run(["zstd", "-d", "-c", "-q"], input=payload, stdout=subprocess.PIPE,
                          check=True).stdout


def damage(rng, buf):
    """One damage to a bytearray, in place or by returning a new one."""
    if not buf:
        return buf
    op = rng.randrange(5)
    pos = rng.randrange(len(buf))
    if op == 0:
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif op == 1:
        for i in range(pos, min(len(buf), pos + rng.randint(1, 4))):
            buf[i] = rng.choice(EDGE_BYTES)
    elif op == 2:
        buf = buf[:pos] + buf[pos + rng.randint(1, 64):]
    elif op == 3:
        n = rng.randint(1, 256)
        buf = buf[:pos] + buf[pos:pos + n] * rng.randint(2, 64) + buf[pos + n:]
    else:
        buf = buf[:pos]
    return bytearray(buf)


def mutate(rng, data, raw_blocks):
    if rng.random() < 0.5 or not raw_blocks:
        return bytes(damage(rng, bytearray(data)))
    off, btype, payload, end = rng.choice(raw_blocks)
    payload = damage(rng, bytearray(payload))
    block = struct.pack("<HHIII", btype, 0, len(payload), len(payload),
                        zlib.crc32(payload)) + payload
    return data[:off] + block + data[end:]


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_all(modrace, path, memory_limit):
    """The first broken contract, or None."""
    for cmd in commands(path, path + ".json"):
        try:
            p = subprocess.run([modrace] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               timeout=TIME_LIMIT, preexec_fn=limit_memory if memory_limit else None)
        except subprocess.TimeoutExpired:
            return f"modrace {' '.join(cmd)}: over {TIME_LIMIT} s"
        err = p.stderr.decode(errors="replace")
        lines = err.splitlines()
        if p.returncode not in (0, 1, 2) or "BUG" in err:
            return f"modrace {' '.join(cmd)}: exit {p.returncode}: {err[-500:]}"
        if p.returncode == 2 and not (lines and lines[-1].startswith(f"modrace: {path}: ")):
            return f"modrace {' '.join(cmd)}: exit 2 without the one-line error: {err[-500:]}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("modrace")
    ap.add_argument("out_dir")
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--mutants", type=int, default=90, help="in total, over all traces")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--no-memory-limit", action="store_true")
    args = ap.parse_args()
    shutil.rmtree(args.out_dir, ignore_errors=True)
    os.makedirs(args.out_dir)
    rng = random.Random(args.seed)

    originals = []
    for t in args.traces:
        data = open(t, "rb").read()
        raw_blocks = []
        for off, btype, flags, payload in blocks(data):
            raw = decompress(payload) if flags & FLAG_ZSTD else payload
            raw_blocks.append((off, btype, raw, off + HEADER + len(payload)))
        originals.append((os.path.basename(t), data, raw_blocks))

    jobs = []
    for i in range(args.mutants):
        name, data, raw_blocks = originals[i % len(originals)]
        path = os.path.join(args.out_dir, f"{i:04d}-{name}")
        with open(path, "wb") as f:
            f.write(mutate(rng, data, raw_blocks))
        jobs.append(path)

    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, why in zip(jobs, pool.map(
                lambda p: run_all(args.modrace, p, not args.no_memory_limit), jobs)):
            if why:
                failures += 1
                print(f"FAIL: {path}: {why}")
            else:
                os.unlink(path)
                if os.path.exists(path + ".json"):
                    os.unlink(path + ".json")
    print(f"{len(jobs)} mutants x {len(commands('', ''))} commands: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
