"""Where the time goes: py-spy samples the `ivig-cds serve` workers while wrk drives one scenario.

    python bench/profile.py --scenario card              # prints the top functions (inclusive, self)
    python bench/profile.py --scenario no-card --workers 1 --connections 4 --idle --raw out.txt

Needs py-spy (`pip install py-spy`) and permission to ptrace the workers (root, or CAP_SYS_PTRACE).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from procs import ensure_wrk, run_wrk  # noqa: E402
from run import build_bodies  # noqa: E402
from stack import StackOptions, running_stack  # noqa: E402
from tokens import SERVICE_PATH, TokenPool, bench_client  # noqa: E402


def worker_pids(master_parent: int) -> list[int]:
    """Return the pids of the gunicorn workers under the `ivig-cds serve` process."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_parent)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def summarise(raw_files: list[Path], top: int) -> str:
    """Return the top functions by inclusive and by self samples, from py-spy raw (collapsed) output."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for path in raw_files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = [
                f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].split("/")[-1] + ")"
                if " (" in f
                else f
                for f in stack.split(";")
            ]
            if any("idle" in f for f in frames[-1:]):
                continue
            total += n
            for frame in set(frames):
                inclusive[frame] += n
            own[frames[-1]] += n
    lines = [f"{total} busy samples", "", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    """Profile the service's workers under load for one scenario."""
    parser = argparse.ArgumentParser(description="py-spy profile of ivig-cds serve under wrk")
    parser.add_argument("--scenario", choices=["no-card", "card"], default="card")
    parser.add_argument("--alg", choices=["RS384", "ES384"], default="RS384")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--raw", type=Path, help="also write the collapsed stacks (flamegraph input) here")
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL (CPU, not waits)")
    parser.add_argument("--idle", action="store_true", help="include idle samples (lock and I/O waits)")
    parser.add_argument("--native", action="store_true", help="include native frames (C extensions, GC)")
    parser.add_argument(
        "--token-cache", type=Path, default=Path(tempfile.gettempdir()) / "ivig-cds-bench-tokens"
    )
    args = parser.parse_args()
    wrk, pyspy = ensure_wrk(), shutil.which("py-spy")
    if pyspy is None:
        sys.exit("bench: py-spy is required (pip install py-spy)")
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-profile-"))
    client = bench_client(args.token_cache, args.alg)
    pool = TokenPool(client, min_valid_seconds=600).load()
    options = StackOptions(
        stores=[args.store], algorithms=[args.alg], fhir=(), workers=args.workers, echo=False, floors=False
    )
    with running_stack(workdir, {args.alg: client}, options) as stack:
        service = stack.services[args.store]
        body_path = build_bodies(stack)[args.scenario]
        url = service.url + SERVICE_PATH
        tokens = pool.write_slice("profile", 3000 * (args.seconds + 2), workdir / "tokens.txt")
        load = threading.Thread(
            target=run_wrk, args=(wrk, url, tokens, body_path, args.connections, args.seconds + 2)
        )
        load.start()
        raws, procs = [], []
        for pid in worker_pids(service.pid):
            raw = workdir / f"profile-{pid}.txt"
            raws.append(raw)
            flags = [f"--{f}" for f in ("gil", "idle", "native") if getattr(args, f)]
            cmd = [
                pyspy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(args.seconds),
                "--rate",
                str(args.rate),
            ]
            cmd += ["--format", "raw", "--output", str(raw), *flags]
            if not args.native:  # py-spy cannot unwind native frames without pausing the process
                cmd.append("--nonblocking")
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for p in procs:
            p.wait()
        load.join()
    found = [r for r in raws if r.exists()]
    if args.raw:
        args.raw.write_text("".join(r.read_text() for r in found))
    print(summarise(found, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
