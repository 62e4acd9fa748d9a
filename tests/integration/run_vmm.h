// Harness for integration tests: runs the VMM binaries as child processes
// with a deadline and reports what they printed and how they ended.
#ifndef TESTS_INTEGRATION_RUN_VMM_H
#define TESTS_INTEGRATION_RUN_VMM_H

#include <functional>
#include <string>
#include <vector>

struct VmmResult {
    bool started = false;       // false: could not spawn (see error)
    std::string error;
    bool timed_out = false;     // killed with SIGKILL at the deadline
    bool stopped = false;       // sent SIGTERM because stop_when was true
    bool exited = false;        // exited normally (exit_status valid)
    int exit_status = -1;
    int term_signal = 0;        // signal that ended it, if not exited
    std::string out;            // stdout (the guest's serial console)
    std::string err;            // stderr
    double seconds = 0;

    // One line summary and the tail of both streams, for failure messages.
    std::string Describe() const;
};

// Runs ARGV (argv[0] is a path) with stdin from /dev/null, capturing both
// output streams.  After TIMEOUT_S seconds the process is killed.  When
// STOP_WHEN returns true for the output so far, the process is sent
// SIGTERM (an orderly end) and the run goes on until it exits.
VmmResult RunVmm(const std::vector<std::string> &argv, double timeout_s,
                 const std::function<bool(const std::string &out)> &stop_when = nullptr);

// Path of a runfile given relative to the workspace root, e.g.
// "qemu-x86_64-kvm" or "tests/guests/hello.elf".  Uses TEST_SRCDIR and
// TEST_WORKSPACE (RUNFILES_DIR as a fallback); outside Bazel, the path
// relative to the current directory.
std::string Runfile(const std::string &path);

bool FileExists(const std::string &path);

// The output split into lines, without '\r' and '\n'.
std::vector<std::string> SplitLines(const std::string &text);
bool HasLine(const std::vector<std::string> &lines, const std::string &line);
bool HasLineStartingWith(const std::vector<std::string> &lines,
                         const std::string &prefix);

// This host's KVM is the kvm_pvm module (/sys/module/kvm_pvm): CPL0 code is
// emulated and any CPL3 -> CPL0 transition ends the guest (ARCHITECTURE.md).
bool HostKvmIsPvm();

// /dev/kvm can be opened and creates a VM; otherwise WHY says why not.
bool HostKvmUsable(std::string *why);

#endif
