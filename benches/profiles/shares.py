#!/usr/bin/env python3
"""Where a profile's CPU goes: reads folded stacks (inferno-collapse-perf
output: `frame;frame;...;leaf weight` per line) and sorts each sample by
the innermost frame that names a part (SQLite's own code, query building,
address derivation, JSON, the log, ...), so the shares add up to 100 %.
Kernel time is split by what it serves: the network, or waking and
parking threads. Outer frames (the handler that called SQLite) are in the
flamegraph.

Usage: shares.py create.folded [status.folded ...]
"""
import re
import sys

# (part, pattern for one frame); the first part whose pattern matches,
# walking from the leaf outwards, takes the sample.
PARTS = [
    ("SQLite", r"^sqlite3|^pager|^btree|^unix(Sync|Write|Read)|^vdbe|^yy_reduce|^getPage|^pcache1"),
    ("deposit-address derivation (BIP-32, secp256k1, keccak)",
     r"k256|secp256k1|coins_bip32|keccak|elliptic_curve|crypto_bigint|primeorder|kassa::chain::hd"),
    ("sqlx, sea-orm, sea-query (query building, binding, rows)", r"sea_orm|sea_query|sqlx_"),
    ("JSON (serde_json)", r"serde_json"),
    ("log and tracing (spans, the request log line)", r"tracing_subscriber|tracing_core|tracing::"),
    ("metrics", r"metrics_exporter|metrics_util|metrics::"),
    ("time formatting (chrono)", r"chrono::"),
    ("IDNA", r"idna"),
    ("Decimal", r"rust_decimal"),
    ("memory (malloc, free, memcpy)", r"malloc|cfree|_int_free|realloc|memmove|memcpy|unlink_chunk"),
    ("thread hand-offs (futex, channels, parking)", r"futex|flume|::park|unpark|event_listener"),
    ("HTTP (actix-http, actix-web, h1 codec)", r"actix_http|actix_web|actix_router|httparse|^http::"),
    ("runtime (tokio, actix)", r"tokio::|actix_rt|^actix::|mio::"),
    ("Kassa's own code", r"kassa::"),
]
# Where the kernel is entered (kernel frames may lack the `_[k]` mark).
KERNEL_ENTRY = re.compile(
    r"^(entry_SYSCALL|asm_|irqentry|ret_from_fork|do_syscall_64|__x64_sys)|_\[k\]$"
)
NETWORK = re.compile(r"tcp_|sock|inet_|net_rx|netif|ip_(rcv|finish|output)|skb|epoll|loopback")
COMPILED = [(name, re.compile(p)) for name, p in PARTS]


def part_of(frames):
    entered = next((i for i, f in enumerate(frames) if KERNEL_ENTRY.search(f)), None)
    if entered is not None:
        if any(NETWORK.search(f) for f in frames[entered:]):
            return "kernel: network (TCP, sockets, epoll)"
        return "kernel: other (scheduling, futex wake-ups, page faults)"
    for frame in reversed(frames):
        for name, rx in COMPILED:
            if rx.search(frame):
                return name
    return "other"


def syscall_of(frames):
    """The system call (or interrupt) a kernel sample serves, if any."""
    call = next((f for f in frames if f.startswith("__x64_sys_")), None)
    if call:
        return call.removeprefix("__x64_sys_").removesuffix("_[k]")
    entry = next((f for f in frames if f.startswith(("asm_", "irqentry"))), None)
    return f"({entry.removesuffix('_[k]')})" if entry else None


def shares(path):
    total = 0
    hits = {}
    calls = {}
    with open(path) as f:
        for line in f:
            stack, _, weight = line.rstrip("\n").rpartition(" ")
            if not weight.isdigit():
                continue
            n = int(weight)
            total += n
            frames = stack.split(";")
            name = part_of(frames)
            hits[name] = hits.get(name, 0) + n
            if name.startswith("kernel"):
                call = syscall_of(frames) or "(no system call on the stack: scheduling)"
                calls[call] = calls.get(call, 0) + n
    return total, hits, calls


def main():
    for path in sys.argv[1:]:
        total, hits, calls = shares(path)
        print(f"\n{path}\n")
        print("| part (innermost frame) | share of CPU |")
        print("|---|---|")
        for name, n in sorted(hits.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {100.0 * n / max(total, 1):.1f} % |")
        print("\n| kernel time by system call (top 8) | share of CPU |")
        print("|---|---|")
        for name, n in sorted(calls.items(), key=lambda kv: -kv[1])[:8]:
            print(f"| `{name}` | {100.0 * n / max(total, 1):.1f} % |")


if __name__ == "__main__":
    main()
