#!/usr/bin/env python3
"""Ingest throughput: kqlog vs DuckDB on the same docker json-file logs.

usage: python3 benches/ingest.py [--gb 1.0] [--runs 3] [--bin target/release/kqlog]

Generates (once) a Docker data root under target/bench-data/docker-<gb>g with
8 containers of json-file logs, then times
  * `kqlog ingest <root> -w <tmp>` (ContainerLog + ContainerLogV2 + derived tables), and
  * DuckDB `COPY (SELECT … FROM read_json('…/*-json.log')) TO '….parquet' (COMPRESSION zstd)`
    when the `duckdb` Python package is installed (skipped cleanly otherwise),
alternating the two `--runs` times, and prints the best and median time, MB/s and
rows/s of the best run, and peak RSS for each."""
import json, os, random, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
gb = float(args[args.index("--gb") + 1]) if "--gb" in args else 1.0
binary = args[args.index("--bin") + 1] if "--bin" in args else os.path.join(ROOT, "target/release/kqlog")
runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3

MESSAGES = [
    "GET /api/v1/orders/{n} 200 {m}ms",
    "INFO worker {n} processed batch in {m} ms",
    '{{"level":"info","msg":"order created","orderId":{n},"ms":{m}}}',
    "WARN retrying request {n} after timeout ({m} ms)",
    '{{"level":"error","msg":"payment declined","orderId":{n}}}',
    "healthcheck ok",
]

def generate(root, total_bytes):
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    rnd = random.Random(7)
    per = total_bytes // 8
    base = 1793700000
    for c in range(8):
        cid = "%064x" % (0xC0FFEE + c)
        d = os.path.join(root, "containers", cid)
        os.makedirs(d)
        with open(os.path.join(d, "config.v2.json"), "w") as f:
            json.dump({"ID": cid, "Name": "/svc-%d" % c, "Config": {"Image": "contoso/svc-%d:1.0" % c, "Hostname": cid[:12]},
                       "State": {"Running": True, "ExitCode": 0, "StartedAt": "2026-11-03T00:00:00Z"}}, f)
        written, i = 0, 0
        with open(os.path.join(d, cid + "-json.log"), "w") as f:
            lines = []
            while written < per:
                i += 1
                msg = rnd.choice(MESSAGES).format(n=rnd.randrange(100000), m=rnd.randrange(1000))
                t = base + i * 0.01
                line = '{"log":%s,"stream":"%s","time":"%s.%07dZ"}\n' % (
                    json.dumps(msg + "\n"), "stderr" if "error" in msg else "stdout",
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))), int((t % 1) * 1e7))
                lines.append(line)
                written += len(line)
                if len(lines) >= 10000:
                    f.write("".join(lines)); lines = []
            f.write("".join(lines))
    open(marker, "w").close()

def run(cmd):
    """Wall seconds, stdout and peak RSS (MB) of one child process."""
    os.sync()  # the previous run's writeback must not land on this one
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.time()
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        # wait4 rather than Popen.wait: it gives this child's own peak RSS.
        _, status, usage = os.wait4(child.pid, 0)
        secs = time.time() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(cmd), err.read().decode(errors="replace")))
        return secs, out.read().decode(errors="replace"), usage.ru_maxrss / 1024.0

def report(name, results, note):
    secs = sorted(r[0] for r in results)
    best, median = secs[0], secs[len(secs) // 2]
    print("%s: best %5.2f s  median %5.2f s  %7.1f MB/s  %9.0f lines/s  peak RSS %5.0f MB  %s" % (
        name, best, median, mb / best, lines / best, max(r[2] for r in results), note))

root = os.path.join(ROOT, "target/bench-data/docker-%gg" % gb)
generate(root, int(gb * 1024 ** 3))
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs if f.endswith("-json.log"))
lines = sum(1 for d, _, fs in os.walk(root) for f in fs if f.endswith("-json.log") for _ in open(os.path.join(d, f), "rb"))
mb = size / 1e6
print("input: %.0f MB of docker json-file logs, %d lines, 8 containers; %d runs each, alternating" % (mb, lines, runs))

script = """
import duckdb, sys, time
con = duckdb.connect()
start = time.time()
con.execute("COPY (SELECT CAST(time AS TIMESTAMP) AS TimeGenerated, log AS LogEntry, stream AS LogEntrySource FROM read_json('%s/containers/*/*-json.log', format='newline_delimited', columns={'log':'VARCHAR','stream':'VARCHAR','time':'VARCHAR'})) TO '%s' (FORMAT parquet, COMPRESSION zstd)")
print(time.time() - start)
"""
try:
    import duckdb  # noqa: F401
    have_duckdb = True
except ImportError:
    have_duckdb = False

kqlog, duck, copy_only = [], [], []
for _ in range(runs):
    ws = tempfile.mkdtemp(prefix="kqlog-ingest-")
    secs, out, rss = run([binary, "ingest", root, "-w", ws, "--format", "json"])
    stats = json.loads(out)
    kqlog.append((secs, stats, rss))
    shutil.rmtree(ws)
    if have_duckdb:
        out_file = tempfile.mktemp(suffix=".parquet")
        secs, out, rss = run([sys.executable, "-c", script % (root, out_file)])
        duck.append((secs, out, rss))
        copy_only.append(float(out.strip().splitlines()[-1]))
        os.remove(out_file)

rows = kqlog[0][1]["rows"]
report("kqlog ", kqlog, "(%d ContainerLog + %d ContainerLogV2 rows)" % (rows.get("ContainerLog", 0), rows.get("ContainerLogV2", 0)))
if not have_duckdb:
    print("duckdb: not installed (pip install duckdb); comparison skipped")
    sys.exit(0)
report("duckdb", duck, "(one table; process wall time, of which the COPY itself: best %.2f s)" % min(copy_only))
