"""Generates C++ (and optionally gRPC) code from .proto files with Debian's protoc."""

def ridge_proto_library(name, srcs, deps = [], grpc = False):
    """One cc_library `name` from `srcs`; `deps` are other ridge_proto_library targets."""
    hdrs = [s.replace(".proto", ".pb.h") for s in srcs]
    ccs = [s.replace(".proto", ".pb.cc") for s in srcs]
    outs = hdrs + ccs
    cmd = "protoc -I. --cpp_out=$(GENDIR) "
    if grpc:
        hdrs += [s.replace(".proto", ".grpc.pb.h") for s in srcs]
        ccs += [s.replace(".proto", ".grpc.pb.cc") for s in srcs]
        outs = hdrs + ccs
        cmd += "--grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$$(which grpc_cpp_plugin) "
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = outs,
        cmd = cmd + " ".join(["$(location %s)" % s for s in srcs]),
    )
    native.filegroup(name = name + "_srcs", srcs = srcs + [d + "_srcs" for d in deps])
    native.cc_library(
        name = name,
        srcs = ccs,
        hdrs = hdrs,
        deps = deps + (["//third_party:grpc"] if grpc else ["//third_party:protobuf"]),
    )
