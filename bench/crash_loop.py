#!/usr/bin/python3
"""Crash-loop durability: kill -9 the controller at random moments, restart it,
and check that nothing acknowledged is lost.

  /usr/bin/python3 bench/crash_loop.py [--trials=20] [--seed=1]

One controller (a fixed port), one real `ridge_worker` for device key `crash`,
campaigns whose targets include that device key (so their steps queue
measurement jobs and their fronts are measured), and measurement jobs queued
directly. Each trial waits a random 0.2-8 s, so the kills land during launches,
training, checkpoint writes, job leasing and reporting, evaluation and front
writes; then kills the controller with SIGKILL and starts it again. Every few
trials it launches another campaign and queues more jobs, and kills right after
the acknowledgement some of the time.

After each restart it checks:
- every campaign whose launch was acknowledged is there;
- the count of finished jobs never went down;
At the end, with no more kills, it waits for everything to finish and checks:
- every campaign is DONE;
- every queued job is done, each exactly once: the device's measurements are as
  many as the done jobs, and as many as the jobs queued.
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bazel-bin")  # --bin overrides (a copy keeps a rebuild from changing it mid-run)
SPEC = """name: "crash_{n}"
space_ref: "fmnist_uib"
dataset {{ name: "fashion_mnist" train_images: 256 valid_images: 128 }}
training {{ coarse_steps: 60 batch_size: 32 threads: 1 }}
targets {{ hardware: "pixel6_cpu" budget_ms: [6] }}
targets {{ hardware: "pixel6_cpu" device_key: "crash" budget_ms: [6] }}
checkpoint_every_steps: 5
top_samples: 1
seed: {n}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Harness:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.state = os.path.join(tmp, "state")
        self.addr = f"127.0.0.1:{free_port()}"
        self.env = dict(os.environ, RIDGE_CONTROLLER=self.addr, RIDGE_TOKEN_FILE=os.path.join(self.state, "tokens"))
        self.controller = None
        self.restarts = 0

    def start(self):
        log = open(os.path.join(self.tmp, f"controller_{self.restarts}.log"), "w")
        self.controller = subprocess.Popen(
            [os.path.join(BIN, "controller/ridge_controller"), f"--listen={self.addr}", f"--state_dir={self.state}",
             "--measure_every=10", "--refit_every=20", "--log_level=warn"], stdout=log, stderr=log)
        for _ in range(200):
            if self.ridge(["campaign", "list", "--format=json"], check=False) is not None:
                return
            time.sleep(0.05)
        sys.exit("the controller did not start")

    def kill(self):
        self.controller.kill()
        self.controller.wait()
        self.restarts += 1

    def ridge(self, args, check=True):
        out = subprocess.run([os.path.join(BIN, "cli/ridge")] + args, capture_output=True, text=True, env=self.env)
        if out.returncode != 0:
            if check:
                raise RuntimeError(f"ridge {' '.join(args[:2])}: {out.stderr.strip()[-300:]}")
            return None
        return out.stdout

    def campaigns(self):
        listed = json.loads(self.ridge(["campaign", "list", "--format=json"]))
        return {c["campaign_id"]: c for c in listed.get("campaigns", [])}

    def jobs(self):
        return json.loads(self.ridge(["worker", "list", "--device=crash", "--format=json"]))["jobs"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bin", default=os.path.join(ROOT, "bazel-bin"), help="where controller/, workers/ and cli/ binaries are")
    args = p.parse_args()
    global BIN
    BIN = args.bin
    rng = random.Random(args.seed)
    failures = []
    with tempfile.TemporaryDirectory(prefix="ridge_crash_") as tmp:
        h = Harness(args, tmp)
        h.start()
        worker = subprocess.Popen([os.path.join(BIN, "workers/ridge_worker"), f"--controller={h.addr}",
                                   "--device_key=crash", f"--token_file={h.env['RIDGE_TOKEN_FILE']}", "--threads=1",
                                   "--log_level=warn"], stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(tmp, "worker.log"), "w"))
        acknowledged, queued, done_before, launches = [], 0, 0, 0

        def launch():
            nonlocal launches
            path = os.path.join(tmp, f"spec_{launches}.textproto")
            open(path, "w").write(SPEC.format(n=launches + 1))
            launches += 1
            acknowledged.append(h.ridge(["campaign", "launch", path]).strip())

        def queue(n):
            nonlocal queued
            out = h.ridge(["latency", "measure", "--device=crash", f"--count={n}", "--resolution=32",
                           f"--seed={queued + 1}"])
            queued += int(out.split()[1])

        launch()
        queue(10)
        for trial in range(1, args.trials + 1):
            if trial % 4 == 0:
                launch()
                queue(5)
                if trial % 8 == 0:
                    h.kill()  # Right after the acknowledgements.
                    h.start()
            time.sleep(rng.uniform(0.2, 8.0))
            states = {i: c["state"] for i, c in h.campaigns().items()}
            h.kill()
            h.start()
            present = h.campaigns()
            lost = [i for i in acknowledged if i not in present]
            done = h.jobs().get("done", 0)
            if lost:
                failures.append(f"trial {trial}: acknowledged campaigns lost: {lost}")
            if done < done_before:
                failures.append(f"trial {trial}: done jobs went from {done_before} to {done}")
            done_before = max(done_before, done)
            print(f"trial {trial:2}: killed with campaigns {sorted(states.values())}, jobs done {done}; after the "
                  f"restart {len(present)} campaigns, {len(lost)} acknowledged ones lost", flush=True)

        # No more kills: everything must finish.
        deadline = time.time() + 1800
        while time.time() < deadline:
            cs = h.campaigns()
            jobs = h.jobs()
            if all(c["state"] in ("DONE", "FAILED", "CANCELLED") for c in cs.values()) and \
                    jobs.get("queued", 0) == 0 and jobs.get("leased", 0) == 0:
                break
            time.sleep(2)
        cs, jobs = h.campaigns(), h.jobs()
        not_done = {i: c["state"] for i, c in cs.items() if c["state"] != "DONE"}
        if not_done:
            failures.append(f"campaigns not DONE: {not_done}")
        report = json.loads(h.ridge(["latency", "report", "--device=crash", "--format=json"], check=False) or "{}")
        measurements = report.get("measurements", 0)
        total_jobs = sum(jobs.values())
        if jobs.get("done", 0) != total_jobs:
            failures.append(f"jobs not all done: {jobs}")
        if measurements != jobs.get("done", 0):
            failures.append(f"{measurements} measurements for {jobs.get('done', 0)} done jobs (lost or doubled)")
        worker.terminate()
        worker.wait()
        h.controller.terminate()
        h.controller.wait()
        print(f"\n{args.trials} trials, {h.restarts} kill -9 restarts; {len(acknowledged)} campaigns acknowledged, "
              f"{len(cs)} present, {len(cs) - len(not_done)} DONE; {queued} jobs queued directly, "
              f"{total_jobs} in all (campaigns queue more), {jobs.get('done', 0)} done, {measurements} measurements")
        print(f"RESULT crash_loop_trials value={args.trials} restarts={h.restarts} failures={len(failures)}")
        for f in failures:
            print("FAIL:", f)
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
