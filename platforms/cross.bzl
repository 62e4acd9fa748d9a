"""A rule that builds a binary for the aarch64 platform, whatever the build's platform.

It lets `bazel test //...` build and test the cross-compiled binary in the
same invocation as the native ones (a configuration transition on
--platforms).
"""

def _to_aarch64_impl(settings, attr):
    return {"//command_line_option:platforms": "//platforms:linux_aarch64"}

_to_aarch64 = transition(
    implementation = _to_aarch64_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _aarch64_binary_impl(ctx):
    src = ctx.attr.binary[0][DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = src)
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

aarch64_binary = rule(
    implementation = _aarch64_binary_impl,
    attrs = {
        "binary": attr.label(cfg = _to_aarch64, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
