"""pylibmc (libmemcached, C) as a Python user runs it: Client([...], behaviors={"tcp_nodelay": True}),
get(key), get_multi(keys) -> dict of hits. Runs the shapes a synchronous client can: one caller
doing multi-gets (`multi`, concurrency 1) and one get at a time (`latency`). Reads BENCH_ARGS and
prints one JSON line, as the Node cases do (see memcached-shapes.mjs); any miss, wrong value or
error fails the case (non-zero exit). Run by memcached-pylibmc.mjs with /usr/bin/python3."""
import json
import math
import os
import sys
import time

import pylibmc

args = json.loads(os.environ["BENCH_ARGS"])
shape = args["shape"]
size = args["size"]
keys = [f"bench:{size}:{i:06d}" for i in range(args["keyCount"])]
client = pylibmc.Client(args["servers"], behaviors={"tcp_nodelay": True})
tally = {"bad": 0, "errors": 0, "first_error": None, "ops": 0}


def is_value(value):
    return value is not None and len(value) == size


def percentile(values, p):
    if not values:
        return float("nan")
    values.sort()
    return values[min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1)]


def call_get(i):
    try:
        if not is_value(client.get(keys[i % len(keys)])):
            tally["bad"] += 1
    except Exception as error:  # counted, and the case fails
        tally["errors"] += 1
        tally["first_error"] = tally["first_error"] or repr(error)


groups = []
if shape == "multi":
    per_call = args["multiKeys"]
    groups = [keys[i : i + per_call] for i in range(0, len(keys) - per_call + 1, per_call)]


def call_multi(i):
    try:
        found = client.get_multi(groups[i % len(groups)])
        if sum(1 for value in found.values() if is_value(value)) != per_call:
            tally["bad"] += 1
    except Exception as error:
        tally["errors"] += 1
        tally["first_error"] = tally["first_error"] or repr(error)


if shape == "latency":
    call = call_get
elif shape == "multi":
    if args.get("concurrency", 1) != 1:
        sys.exit("pylibmc is synchronous: only one caller")
    call = call_multi
elif shape == "probe":
    call_get(0)
    if not groups:
        per_call = args["multiKeys"]
        groups = [keys[:per_call]]
    call_multi(0)
    failed = None
    if tally["bad"] or tally["errors"]:
        failed = f"a get or get_multi of seeded keys missed or failed: {tally['first_error']}"
    print(json.dumps({"client": "pylibmc", "shape": "probe", "failed": failed}))
    sys.exit(0)
else:
    sys.exit(f"pylibmc runs the multi and latency shapes, not {shape}")

i = 0
end = time.perf_counter() + args["warmupMs"] / 1000
while time.perf_counter() < end:
    call(i)
    i += 1
record = shape == "latency"
samples = []
start_cpu = time.process_time()
start = time.perf_counter()
end = start + args["durationMs"] / 1000
n = 0
while True:
    t0 = time.perf_counter()
    if t0 >= end:
        break
    call(i)
    i += 1
    n += 1
    if record:
        samples.append((time.perf_counter() - t0) * 1e6)
seconds = time.perf_counter() - start
cpu = time.process_time() - start_cpu
result = dict(args)
result.update(
    client="pylibmc",
    pylibmc=pylibmc.__version__,
    ops=n,
    seconds=seconds,
    opsPerSec=n / seconds,
    cpuUsPerOp=cpu * 1e6 / n,
    cpuUtilisation=cpu / seconds,
    totalOps=i,
    bad=tally["bad"],
    errors=tally["errors"],
    firstError=tally["first_error"],
)
if shape == "multi":
    result["keysPerSec"] = result["opsPerSec"] * per_call
if record:
    result.update(
        p50Us=percentile(samples, 50),
        p90Us=percentile(samples, 90),
        p99Us=percentile(samples, 99),
        meanUs=sum(samples) / len(samples),
    )
print(json.dumps(result))
if tally["bad"] or tally["errors"]:
    print(f"pylibmc {shape}: {tally['bad']} wrong or missing and {tally['errors']} errors; first: {tally['first_error']}", file=sys.stderr)
    sys.exit(1)
