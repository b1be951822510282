#!/usr/bin/env python3
"""Ingest throughput: kqlog vs DuckDB on the same docker json-file logs.

usage: python3 benches/ingest.py [--gb 1.0] [--bin target/release/kqlog]

Generates (once) a Docker data root under target/bench-data/docker-<gb>g with
8 containers of json-file logs, then times
  * `kqlog ingest <root> -w <tmp>` (ContainerLog + ContainerLogV2 + derived tables), and
  * DuckDB `COPY (SELECT … FROM read_json('…/*-json.log')) TO '….parquet' (COMPRESSION zstd)`
    when the `duckdb` Python package is installed (skipped cleanly otherwise),
and prints MB/s, rows/s and peak RSS for each."""
import json, os, random, resource, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
gb = float(args[args.index("--gb") + 1]) if "--gb" in args else 1.0
binary = args[args.index("--bin") + 1] if "--bin" in args else os.path.join(ROOT, "target/release/kqlog")

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
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.time() - start
    if out.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), out.stderr))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return secs, out.stdout, max(peak, before) / 1024.0

root = os.path.join(ROOT, "target/bench-data/docker-%gg" % gb)
generate(root, int(gb * 1024 ** 3))
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs if f.endswith("-json.log"))
lines = sum(1 for d, _, fs in os.walk(root) for f in fs if f.endswith("-json.log") for _ in open(os.path.join(d, f), "rb"))
mb = size / 1e6
print("input: %.0f MB of docker json-file logs, %d lines, 8 containers" % (mb, lines))

ws = tempfile.mkdtemp(prefix="kqlog-ingest-")
secs, out, rss = run([binary, "ingest", root, "-w", ws, "--format", "json"])
stats = json.loads(out)
print("kqlog : %6.2f s  %7.1f MB/s  %9.0f lines/s  peak RSS %5.0f MB  (%d ContainerLog + %d ContainerLogV2 rows)" % (
    secs, mb / secs, lines / secs, rss, stats["rows"].get("ContainerLog", 0), stats["rows"].get("ContainerLogV2", 0)))
shutil.rmtree(ws)

script = """
import duckdb, sys, time
con = duckdb.connect()
start = time.time()
con.execute("COPY (SELECT CAST(time AS TIMESTAMP) AS TimeGenerated, log AS LogEntry, stream AS LogEntrySource FROM read_json('%s/containers/*/*-json.log', format='newline_delimited', columns={'log':'VARCHAR','stream':'VARCHAR','time':'VARCHAR'})) TO '%s' (FORMAT parquet, COMPRESSION zstd)")
print(time.time() - start)
"""
try:
    import duckdb  # noqa: F401
except ImportError:
    print("duckdb: not installed (pip install duckdb); comparison skipped")
    sys.exit(0)
out_file = tempfile.mktemp(suffix=".parquet")
secs, out, rss = run([sys.executable, "-c", script % (root, out_file)])
print("duckdb: %6.2f s  %7.1f MB/s  %9.0f lines/s  peak RSS %5.0f MB  (one table)" % (secs, mb / secs, lines / secs, rss))
os.remove(out_file)
