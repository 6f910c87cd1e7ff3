#!/usr/bin/env python3
"""Soak: mixed traffic into one tfjs-run process for a while, with poisoned rows (endless loops),
memory bombs (heap exhaustion) and a new version published every few seconds. Reports RSS over
time, isolate recycles, reloads, and rows in against rows accounted for (answered + rejected).

    tools/soak.sh [--minutes M]     (builds first; default 10 minutes)
"""
import argparse, os, random, re, subprocess, sys, tempfile, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--tfjs-run", required=True)
ap.add_argument("--publish", required=True)
ap.add_argument("--bundle-template", required=True)
ap.add_argument("--minutes", type=float, default=10)
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="tfjs-soak-")
pub = os.path.join(work, "published")
template = open(args.bundle_template).read()


def publish(version):
    path = os.path.join(work, f"v{version}.bundle.js")
    with open(path, "w") as f:
        f.write(template.replace("__VERSION__", str(version)))
    subprocess.run(["bash", args.publish, path, pub, str(version)], check=True, capture_output=True)


publish(1)
proc = subprocess.Popen(
    [args.tfjs_run, "--watch", pub, "--poll-interval", "0.5", "--threads", "2", "--batch-size", "16",
     "--on-error", "skip", "--predict-timeout-ms", "500", "--max-heap-mb", "96", "--with-version", "--stats"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

out_lines = 0
err_text = []
def drain_out():
    global out_lines
    for _ in proc.stdout:
        out_lines += 1
def drain_err():
    for line in proc.stderr:
        err_text.append(line)
threading.Thread(target=drain_out, daemon=True).start()
threading.Thread(target=drain_err, daemon=True).start()

def rss_mb():
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return -1
    return -1

random.seed(7)
end = time.time() + args.minutes * 60
sent = poisoned = bombs = 0
version = 1
next_publish = time.time() + 20
next_sample = time.time()
samples = []
while time.time() < end:
    now = time.time()
    if now >= next_publish:
        version += 1
        publish(version)
        next_publish = now + 20
    if now >= next_sample:
        samples.append((round(now - (end - args.minutes * 60)), rss_mb()))
        next_sample = now + 15
    batch = []
    for _ in range(200):
        roll = random.random()
        if roll < 0.0005:
            batch.append("13,0,0"); poisoned += 1
        elif roll < 0.001:
            batch.append("666,0,0"); bombs += 1
        else:
            batch.append(f"{random.uniform(-5, 5):.3f},{random.uniform(-5, 5):.3f},1")
    proc.stdin.write("\n".join(batch) + "\n")
    sent += len(batch)
    time.sleep(0.02)
proc.stdin.close()
proc.wait(timeout=600)
time.sleep(0.5)
err = "".join(err_text)
m = re.search(r"rows read (\d+), predicted (\d+), rejected (\d+)", err)
read_, predicted, rejected = (int(x) for x in m.groups()) if m else (-1, -1, -1)
recycles = sum(int(x) for x in re.findall(r"^tfjs-run: stats: \d+\s+-?\d+(?:\s+\S+){10}\s+(\d+)\s", err, re.M))
skipped = len(re.findall(r"skipped line", err))
reloads = re.search(r"(\d+) reloads, (\d+) failed", err)
print(f"soak: {args.minutes} min, exit {proc.returncode}")
print(f"rows sent {sent} (poisoned {poisoned}, memory bombs {bombs}); read {read_}, predicted {predicted}, "
      f"rejected {rejected}; output lines {out_lines}, skipped-line reports {skipped}")
print(f"accounted for: {predicted + rejected} of {sent} ({'all' if predicted + rejected == sent == read_ else 'MISMATCH'})")
print(f"versions published {version}; reloads {reloads.group(1) if reloads else '?'} ok, "
      f"{reloads.group(2) if reloads else '?'} failed; isolate recycles {recycles}")
print("RSS over time (s, MiB): " + ", ".join(f"{t}:{r:.0f}" for t, r in samples))
print("last stats lines:\n" + "\n".join(l.rstrip() for l in err_text if l.startswith("tfjs-run: stats") or l.startswith("tfjs-run: watch")))
sys.exit(0 if proc.returncode == 0 and predicted + rejected == sent == read_ else 1)
