"""Embeds data files (zoo models, hardware profiles) into a C++ library.

The binary then finds its data wherever it is run from, without runfiles.
"""

def embed_files(name, srcs, function):
    """cc_library `name` defining `std::vector<ridge::EmbeddedFile> function()`.

    Each file's name is its basename; its contents are a raw string literal.
    """
    cmd = ("(echo '#include \"common/embedded_file.h\"'; " +
           "echo 'namespace ridge {'; " +
           "echo 'const std::vector<EmbeddedFile>& %s() {'; " % function +
           "echo '  static const auto* files = new std::vector<EmbeddedFile>{'; " +
           "for f in $(SRCS); do " +
           "  echo \"    {\\\"$$(basename $$f)\\\", R\\\"ridge_embed(\"; cat $$f; echo ')ridge_embed\"},'; " +
           "done; " +
           "echo '  };'; echo '  return *files;'; echo '}'; echo '}  // namespace ridge') > $@")
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        outs = [name + "_embedded.cc"],
        cmd = cmd,
    )
    native.cc_library(
        name = name,
        srcs = [name + "_embedded.cc"],
        deps = ["//common:embedded_file"],
    )
