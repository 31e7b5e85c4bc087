"""Where the time goes: py-spy samples the `ivig-cds serve` workers while wrk drives one scenario.

    python bench/profile.py --scenario card            # prints the top functions (inclusive, self)
    python bench/profile.py --scenario card --svg /tmp/card.svg   # and a flame graph

Needs py-spy (`pip install py-spy`) and permission to ptrace the workers (root, or CAP_SYS_PTRACE).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import SERVICE_ID, discovery_templates, ensure_wrk, run_wrk, servers, validate  # noqa: E402
from scenarios import BENCH_SCENARIOS, build_body  # noqa: E402
from tokens import write_tokens  # noqa: E402


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
    parser.add_argument("--scenario", choices=[s.key for s in BENCH_SCENARIOS], default="card")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--svg", type=Path, help="also write a flame graph")
    parser.add_argument("--fhir-concurrency", type=int, default=4)
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL (CPU, not waits)")
    args = parser.parse_args()
    wrk, pyspy = ensure_wrk(), shutil.which("py-spy")
    if pyspy is None:
        sys.exit("bench: py-spy is required (pip install py-spy)")
    scenario = next(s for s in BENCH_SCENARIOS if s.key == args.scenario)
    workdir = Path(tempfile.mkdtemp(prefix="ivig-cds-profile-"))
    with servers(workdir, 2, args.fhir_concurrency, 5.0) as srv:
        body = build_body(scenario, discovery_templates(srv), srv.fhir_base)
        validate(srv, scenario, body)
        body_path = workdir / "body.json"
        body_path.write_text(json.dumps(body))
        url = f"{srv.service_url}/cds-services/{SERVICE_ID}"
        tokens = write_tokens(srv.key_path, url, 400 * (args.seconds + 4), workdir / "tokens.txt")
        workers = worker_pids(srv.service_pid)
        load = threading.Thread(
            target=run_wrk, args=(wrk, url, tokens, body_path, args.connections, args.seconds + 2)
        )
        load.start()
        raws = []
        procs = []
        for pid in workers:
            raw = workdir / f"profile-{pid}.txt"
            raws.append(raw)
            procs.append(
                subprocess.Popen(
                    [
                        pyspy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(args.seconds),
                        "--rate",
                        "250",
                        "--format",
                        "raw",
                        "--output",
                        str(raw),
                        "--nonblocking",
                        *(["--gil"] if args.gil else []),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for p in procs:
            p.wait()
        load.join()
        if args.svg:
            cat = "\n".join(r.read_text() for r in raws if r.exists())
            (workdir / "all.txt").write_text(cat)
            print(f"bench: raw profile in {workdir / 'all.txt'} (render with flamegraph.pl or speedscope)")
    print(summarise([r for r in raws if r.exists()], args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
