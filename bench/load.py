#!/usr/bin/python3
"""Controller load: many clients querying, then many workers leasing and
reporting, against a real ridge_controller over loopback gRPC.

  /usr/bin/python3 bench/load.py [--clients=50] [--seconds=30] [--workers=200] [--jobs=2000]

1. Starts ridge_controller on a free port with a fresh state directory, runs one
   tiny campaign to DONE (so there is a front to query).
2. --clients threads, each on its own channel, call List, Get, GetParetoFront
   and Predict in turn for --seconds.
3. --workers simulated workers register, then lease and report jobs (with
   well-formed measurements) until --jobs queued jobs are all done.
Prints RPC/s, p50 and p99 latency per method, and errors; then checks that
every job was done exactly once. The clients run in this process (Python
threads), so on a small machine they compete with the server for cores: read
the figures as a floor.
"""
import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                                "python_client"))
import ridge_client  # noqa: E402  (stub generation)

ROOT = ridge_client.REPO_ROOT
TOKEN = "admin-load-token-0123456789abcdef"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {}
        self.errors = {}

    def record(self, method, seconds, error=None):
        with self.lock:
            if error is None:
                self.latency.setdefault(method, []).append(seconds)
            else:
                self.errors[f"{method} {error}"] = self.errors.get(f"{method} {error}", 0) + 1

    def report(self, title, wall):
        total = sum(len(v) for v in self.latency.values())
        print(f"\n{title}: {total} RPCs in {wall:.1f} s = {total / wall:.0f} RPC/s; errors: {self.errors or 'none'}")
        print(f"  {'method':<22} {'calls':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for method, v in sorted(self.latency.items()):
            v = sorted(v)
            p99 = v[min(len(v) - 1, int(0.99 * len(v)))]
            print(f"  {method:<22} {len(v):>8} {1e3 * statistics.median(v):>8.2f} {1e3 * p99:>8.2f}")
        return total / wall


def timed(stats, method, call):
    start = time.perf_counter()
    try:
        result = call()
        stats.record(method, time.perf_counter() - start)
        return result
    except grpc.RpcError as e:
        stats.record(method, 0, e.code().name)
        return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--workers", type=int, default=200)
    p.add_argument("--jobs", type=int, default=2000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ridge_load_") as tmp:
        ridge_client.generate_stubs(ROOT, os.path.join(tmp, "stubs"))
        sys.path.insert(0, os.path.join(tmp, "stubs"))
        from proto import campaign_pb2, services_pb2, services_pb2_grpc  # noqa: E402
        global measurement_pb2
        from proto import measurement_pb2  # noqa: E402
        from google.protobuf import text_format

        addr = f"127.0.0.1:{free_port()}"
        open(os.path.join(tmp, "tokens"), "w").write(f"admin {TOKEN}\n")
        controller = subprocess.Popen(
            [os.path.join(ROOT, "bazel-bin/controller/ridge_controller"), f"--listen={addr}",
             f"--state_dir={os.path.join(tmp, 'state')}", f"--token_file={os.path.join(tmp, 'tokens')}",
             "--log_level=warn"], stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "ctl.log"), "w"))
        md = [("authorization", f"Bearer {TOKEN}")]
        try:
            channel = grpc.insecure_channel(addr)
            grpc.channel_ready_future(channel).result(timeout=30)
            campaigns = services_pb2_grpc.CampaignServiceStub(channel)
            spec = campaign_pb2.CampaignSpec()
            text_format.Parse(open(os.path.join(ROOT, "examples/campaigns/tiny.textproto")).read(), spec)
            cid = campaigns.Launch(services_pb2.LaunchRequest(spec=spec), metadata=md).campaign_id
            for _ in campaigns.Watch(services_pb2.WatchRequest(campaign_id=cid), metadata=md):
                pass
            arch = campaigns.GetParetoFront(services_pb2.GetParetoFrontRequest(campaign_id=cid),
                                            metadata=md).points[0].architecture
            client_rate = clients_phase(args, addr, md, services_pb2, services_pb2_grpc, cid, arch)
            worker_rate, ok = workers_phase(args, addr, md, services_pb2, services_pb2_grpc)
        finally:
            controller.terminate()
            controller.wait()
        print(f"\nRESULT client_rpc_per_sec value={client_rate:.0f} clients={args.clients}")
        print(f"RESULT worker_rpc_per_sec value={worker_rate:.0f} workers={args.workers} jobs={args.jobs}")
        sys.exit(0 if ok else 1)


def clients_phase(args, addr, md, pb, pb_grpc, cid, arch):
    stats, stop = Stats(), time.time() + args.seconds

    def client(i):
        with grpc.insecure_channel(addr) as ch:
            c, lat = pb_grpc.CampaignServiceStub(ch), pb_grpc.LatencyServiceStub(ch)
            calls = [("List", lambda: c.List(pb.ListCampaignsRequest(), metadata=md, timeout=30)),
                     ("Get", lambda: c.Get(pb.GetCampaignRequest(campaign_id=cid), metadata=md, timeout=30)),
                     ("GetParetoFront", lambda: c.GetParetoFront(pb.GetParetoFrontRequest(campaign_id=cid),
                                                                 metadata=md, timeout=30)),
                     ("Predict", lambda: lat.Predict(pb.PredictRequest(architecture=arch, hardware="pixel6_cpu"),
                                                     metadata=md, timeout=30))]
            k = i
            while time.time() < stop:
                name, call = calls[k % len(calls)]
                timed(stats, name, call)
                k += 1

    start = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats.report(f"{args.clients} clients", time.time() - start)


def workers_phase(args, addr, md, pb, pb_grpc):
    with grpc.insecure_channel(addr) as ch:
        m = pb_grpc.MeasurementServiceStub(ch)
        queued = 0
        for seed in range(1, 100):
            if queued >= args.jobs:
                break
            n = min(1000, args.jobs - queued)
            r = m.Measure(pb.MeasureRequest(device_key="load", space="fmnist_uib", count=n, seed=seed), metadata=md)
            queued += len(r.job_ids)
    stats, done, lock = Stats(), [0], threading.Lock()

    def worker(i):
        rng = random.Random(i)
        with grpc.insecure_channel(addr) as ch:
            w = pb_grpc.WorkerServiceStub(ch)
            reg = timed(stats, "Register", lambda: w.Register(pb.RegisterRequest(device_key="load"), metadata=md))
            if reg is None:
                return
            idle = 0
            while idle < 3:
                leased = timed(stats, "LeaseJobs", lambda: w.LeaseJobs(
                    pb.LeaseJobsRequest(worker_id=reg.worker_id, max_jobs=1), metadata=md, timeout=30))
                if leased is None or not leased.jobs:
                    idle += 1
                    continue
                for job in leased.jobs:
                    samples = sorted(rng.uniform(1, 2) for _ in range(3))
                    meas = measurement_pb2.Measurement(job_id=job.job_id, arch_id="load", samples_ms=samples,
                                          median_ms=samples[1], mean_ms=sum(samples) / 3, p90_ms=samples[2])
                    r = timed(stats, "ReportMeasurement", lambda: w.ReportMeasurement(
                        pb.ReportMeasurementRequest(worker_id=reg.worker_id, measurement=meas), metadata=md,
                        timeout=30))
                    if r is not None and not r.duplicate:
                        with lock:
                            done[0] += 1

    start = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = stats.report(f"{args.workers} workers", time.time() - start)
    with grpc.insecure_channel(addr) as ch:
        jobs = dict(pb_grpc.MeasurementServiceStub(ch).ListWorkers(pb.ListWorkersRequest(device_key="load"),
                                                                     metadata=md).jobs)
    ok = jobs.get("done", 0) == queued == done[0]
    print(f"jobs queued {queued}, reported once {done[0]}, done in the store {jobs.get('done', 0)}: "
          f"{'each exactly once' if ok else 'MISMATCH'}")
    return rate, ok


if __name__ == "__main__":
    main()
