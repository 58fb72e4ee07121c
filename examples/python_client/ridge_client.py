#!/usr/bin/python3
"""A minimal Python client of the Ridge controller's gRPC API.

Launches a campaign, follows its progress, then prints its Pareto fronts:

    /usr/bin/python3 examples/python_client/ridge_client.py \\
        --controller=127.0.0.1:50051 --token_file=ridge-data/tokens

The Python stubs are generated from proto/*.proto at start-up into a
temporary directory, so nothing generated lives in the repository.
"""

import argparse
import contextlib
import glob
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import text_format
from grpc_tools import protoc

# The repository root: this file is <root>/examples/python_client/ridge_client.py.
# abspath, not realpath, so that under Bazel the runfiles tree is used.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(message, code=1):
    """Prints an error and exits with a non-zero status."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def generate_stubs(proto_root, out_dir):
    """Compiles <proto_root>/proto/*.proto into Python modules under out_dir/proto."""
    protos = sorted(os.path.relpath(p, proto_root) for p in glob.glob(os.path.join(proto_root, "proto", "*.proto")))
    if "proto/services.proto" not in protos:
        fail(f"--proto_root: {proto_root}/proto/services.proto not found", code=2)
    os.makedirs(out_dir, exist_ok=True)  # protoc writes into it, but does not create it.
    system_protoc = shutil.which("protoc")
    if system_protoc:
        # Debian's grpc_tools bundles protoc 3.5.1, which cannot parse proto3
        # `optional` (used in pareto.proto). So the system protoc (3.21, from
        # protobuf-compiler) writes the message modules plus a descriptor set,
        # and grpc_tools.protoc reads that set to write only the service stubs.
        descriptors = os.path.join(out_dir, "ridge.desc")
        run = subprocess.run([system_protoc, f"-I{proto_root}", f"--python_out={out_dir}", "--include_imports",
                              f"--descriptor_set_out={descriptors}", *protos])
        if run.returncode != 0:
            fail(f"protoc failed on {proto_root}/proto (exit {run.returncode})")
        args = [f"--descriptor_set_in={descriptors}", f"--grpc_python_out={out_dir}", "proto/services.proto"]
    else:
        # No system protoc: a recent grpcio-tools (e.g. from pip) does it all.
        args = [f"-I{proto_root}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *protos]
    if protoc.main(["grpc_tools.protoc", *args]) != 0:
        fail(f"grpc_tools.protoc failed on {proto_root}/proto")
    # A regular package, so that no other installed `proto` package shadows it.
    open(os.path.join(out_dir, "proto", "__init__.py"), "w").close()


def read_token(path):
    """Returns the token of a bare-token file or of a "<role> <token>" file.

    Of "<role> <token>" lines, a client token is preferred to an admin one;
    worker tokens cannot call CampaignService.
    """
    try:
        with open(path) as f:
            lines = [line.split() for line in f if line.strip() and not line.lstrip().startswith("#")]
    except OSError as e:
        fail(f"--token_file: {e}", code=2)
    if len(lines) == 1 and len(lines[0]) == 1:
        return lines[0][0]
    tokens = {fields[0]: fields[1] for fields in lines if len(fields) == 2}
    token = tokens.get("client") or tokens.get("admin")
    if not token:
        fail(f"--token_file: {path} has no client or admin token", code=2)
    return token


@contextlib.contextmanager
def rpc(name):
    """Turns a failed RPC into a clear message and exit status 1."""
    try:
        yield
    except grpc.RpcError as e:
        fail(f"{name}: {e.code().name}: {e.details()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The same defaults as the `ridge` CLI's campaign commands.
    parser.add_argument("--controller", default=os.environ.get("RIDGE_CONTROLLER", "127.0.0.1:50051"),
                        help="host:port of ridge_controller (default: $RIDGE_CONTROLLER, else 127.0.0.1:50051)")
    parser.add_argument("--token_file", default=os.environ.get("RIDGE_TOKEN_FILE", "ridge-data/tokens"),
                        help="a bare token, or '<role> <token>' lines, client or admin "
                             "(default: $RIDGE_TOKEN_FILE, else ./ridge-data/tokens)")
    parser.add_argument("--spec", default=os.path.join(REPO_ROOT, "examples", "campaigns", "tiny.textproto"),
                        help="a ridge.CampaignSpec textproto")
    parser.add_argument("--proto_root", default=REPO_ROOT, help="directory holding proto/*.proto")
    parser.add_argument("--timeout", type=float, default=60, help="deadline of each unary RPC, in seconds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ridge_stubs_") as stub_dir:
        generate_stubs(args.proto_root, stub_dir)
        sys.path.insert(0, stub_dir)
        campaign_pb2 = importlib.import_module("proto.campaign_pb2")
        services_pb2 = importlib.import_module("proto.services_pb2")
        services_pb2_grpc = importlib.import_module("proto.services_pb2_grpc")

    # Every RPC carries the bearer token as metadata.
    metadata = [("authorization", f"Bearer {read_token(args.token_file)}")]
    spec = campaign_pb2.CampaignSpec()
    try:
        with open(args.spec) as f:
            text_format.Parse(f.read(), spec)
    except (OSError, text_format.ParseError) as e:
        fail(f"--spec: {args.spec}: {e}", code=2)
    state_name = campaign_pb2.CampaignState.Name

    with grpc.insecure_channel(args.controller) as channel:
        campaigns = services_pb2_grpc.CampaignServiceStub(channel)

        with rpc("Launch"):
            launched = campaigns.Launch(services_pb2.LaunchRequest(spec=spec), metadata=metadata,
                                        timeout=args.timeout)
        campaign_id = launched.campaign_id
        print(f"campaign: {campaign_id}")

        # Watch streams events until the campaign ends. The stream ends OK for a
        # campaign that is DONE, and with the campaign's outcome otherwise
        # (ABORTED when it failed, CANCELLED when it was cancelled); the last
        # event's state says which, so that is what decides here.
        last_state = campaign_pb2.CAMPAIGN_STATE_UNSPECIFIED
        try:
            for event in campaigns.Watch(services_pb2.WatchRequest(campaign_id=campaign_id), metadata=metadata):
                last_state = event.state
                print(f"event: {state_name(event.state):<10} {event.step}/{event.total_steps}  {event.message}",
                      flush=True)
        except grpc.RpcError as e:
            if last_state not in (campaign_pb2.FAILED, campaign_pb2.CANCELLED):
                fail(f"Watch: {e.code().name}: {e.details()}")
        if last_state != campaign_pb2.DONE:
            with rpc("Get"):
                campaign = campaigns.Get(services_pb2.GetCampaignRequest(campaign_id=campaign_id),
                                         metadata=metadata, timeout=args.timeout)
            fail(f"campaign {campaign_id} ended {state_name(campaign.state)}"
                 + (f": {campaign.error}" if campaign.error else ""))

        # The front comes in pages; every page repeats the hypervolumes.
        points, hypervolume, page_token = [], {}, ""
        while True:
            with rpc("GetParetoFront"):
                page = campaigns.GetParetoFront(
                    services_pb2.GetParetoFrontRequest(campaign_id=campaign_id, page_token=page_token),
                    metadata=metadata, timeout=args.timeout)
            points.extend(page.points)
            hypervolume.update(page.hypervolume)
            page_token = page.next_page_token
            if not page_token:
                break

    # One table per hardware target, points in the controller's latency order.
    for hardware in sorted(hypervolume.keys() | {p.hardware for p in points}):
        print(f"\nPareto front on {hardware}: hypervolume {hypervolume.get(hardware, 0.0):.6f}")
        print(f"  {'arch_id':<20} {'origin':<10} {'proxy_accuracy':>14} {'predicted_latency_ms':>20}")
        for p in (p for p in points if p.hardware == hardware):
            print(f"  {p.arch_id:<20} {p.origin:<10} {p.proxy_accuracy:>14.4f} {p.predicted_latency_ms:>20.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
