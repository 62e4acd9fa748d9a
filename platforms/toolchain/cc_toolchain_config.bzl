"""clang + lld toolchain configuration: fully static, warning-free, reproducible.

One configuration per target CPU; the tools are Debian's clang-14, lld-14
and llvm-14 binutils.  Cross compilation only changes --target: Debian's
multiarch layout (/usr/include/<triple>, /usr/lib/<triple>) supplies the
target's headers and static libraries.
"""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")

_C_COMPILE = [ACTION_NAMES.c_compile]
_CXX_COMPILE = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing]
_ALL_COMPILE = _C_COMPILE + _CXX_COMPILE + [ACTION_NAMES.assemble, ACTION_NAMES.preprocess_assemble]
_ALL_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _flags(actions, flags, features = None):
    return flag_set(
        actions = actions,
        flag_groups = [flag_group(flags = flags)],
        with_features = [with_feature_set(features = features)] if features else [],
    )

def _impl(ctx):
    triple = ctx.attr.triple
    target = "--target=" + triple
    tools = [
        tool_path(name = "gcc", path = "/usr/bin/clang-14"),
        tool_path(name = "cpp", path = "/usr/bin/clang-cpp-14"),
        tool_path(name = "ld", path = "/usr/bin/ld.lld-14"),
        tool_path(name = "ar", path = "/usr/bin/llvm-ar-14"),
        tool_path(name = "nm", path = "/usr/bin/llvm-nm-14"),
        tool_path(name = "objcopy", path = "/usr/bin/llvm-objcopy-14"),
        tool_path(name = "objdump", path = "/usr/bin/llvm-objdump-14"),
        tool_path(name = "strip", path = "/usr/bin/llvm-strip-14"),
        tool_path(name = "gcov", path = "/bin/false"),
        tool_path(name = "dwp", path = "/bin/false"),
    ]

    compile_flags = feature(
        name = "default_compile_flags",
        enabled = True,
        flag_sets = [
            _flags(_ALL_COMPILE, [
                target,
                "-no-canonical-prefixes",
                "-fno-omit-frame-pointer",
                "-fcolor-diagnostics",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Wno-unused-parameter",
                "-Wno-missing-field-initializers",
                # Reproducible output: no dates, no absolute paths.
                "-Wno-builtin-macro-redefined",
                "-D__DATE__=\"redacted\"",
                "-D__TIMESTAMP__=\"redacted\"",
                "-D__TIME__=\"redacted\"",
                "-fdebug-compilation-dir=.",
                "-ffile-prefix-map=/proc/self/cwd=.",
                # System libraries' headers for this target (multiarch).
                "-isystem", "/usr/include/glib-2.0",
                "-isystem", "/usr/lib/" + triple + "/glib-2.0/include",
                "-isystem", "/usr/include/pixman-1",
            ]),
            _flags(_C_COMPILE, ["-std=gnu11"]),
            _flags(_CXX_COMPILE, ["-std=c++17"]),
            _flags(_ALL_COMPILE, ["-O0", "-g"], ["dbg"]),
            _flags(_ALL_COMPILE, ["-O1"], ["fastbuild"]),
            _flags(_ALL_COMPILE, [
                "-O2",
                "-DNDEBUG",
                "-ffunction-sections",
                "-fdata-sections",
            ], ["opt"]),
        ],
    )

    link_flags = feature(
        name = "default_link_flags",
        enabled = True,
        flag_sets = [
            _flags(_ALL_LINK, ["-static"], ["fully_static"]),
            _flags(_ALL_LINK, [
                target,
                "-fuse-ld=lld",
                "-no-canonical-prefixes",
                "-Wl,--build-id=none",
                "-Wl,-z,relro,-z,now",
            ]),
            _flags(_ALL_LINK, ["-Wl,--gc-sections"], ["opt"]),
        ],
    )

    # Libraries every link needs, after the objects.  (The C++ runtime
    # comes with //third_party:gtest: only tests are C++.)
    link_libs = feature(
        name = "default_link_libs",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _ALL_LINK,
                flag_groups = [flag_group(flags = ["-lm"])],
            ),
        ],
    )

    # AddressSanitizer needs a dynamic link; a target that wants it turns
    # off fully_static and turns on asan.
    asan = feature(
        name = "asan",
        flag_sets = [
            _flags(_ALL_COMPILE + _ALL_LINK, ["-fsanitize=address", "-fno-omit-frame-pointer"]),
        ],
    )

    features = [
        feature(name = "fully_static", enabled = True),
        asan,
        feature(name = "dbg"),
        feature(name = "fastbuild"),
        feature(name = "opt"),
        feature(name = "supports_pic", enabled = False),
        feature(name = "static_link_cpp_runtimes", enabled = False),
        compile_flags,
        link_flags,
        link_libs,
    ]

    llvm = "/usr/lib/llvm-14/lib/clang/14.0.6/include"
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "clang-" + ctx.attr.cpu,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = triple,
        target_cpu = ctx.attr.cpu,
        target_libc = "glibc",
        compiler = "clang",
        abi_version = "clang",
        abi_libc_version = "glibc",
        tool_paths = tools,
        features = features,
        cxx_builtin_include_directories = [
            llvm,
            "/usr/include",
            "/usr/lib/gcc",
            "/usr/lib/" + triple + "/glib-2.0/include",
            "/usr/lib/llvm-14/lib/clang",
            "/usr/lib/clang",
        ],
    )

clang_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "cpu": attr.string(mandatory = True),
        "triple": attr.string(mandatory = True),
    },
    provides = [CcToolchainConfigInfo],
)
