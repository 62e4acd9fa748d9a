#include "tests/integration/run_vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

extern char **environ;

namespace {

double Now()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::string Tail(const std::string &s, size_t n)
{
    return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// Reads what is available on FD into BUF; false at EOF or error.
bool Drain(int fd, std::string *buf)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    if (n > 0) {
        buf->append(chunk, n);
        return true;
    }
    return n < 0 && (errno == EINTR || errno == EAGAIN);
}

struct Pipes {
    int out[2] = {-1, -1};
    int err[2] = {-1, -1};

    ~Pipes()
    {
        for (int fd : {out[0], out[1], err[0], err[1]}) {
            if (fd >= 0) {
                close(fd);
            }
        }
    }
};

bool Spawn(const std::vector<std::string> &argv, Pipes *p, pid_t *pid,
           std::string *error)
{
    posix_spawn_file_actions_t fa;
    std::vector<char *> args;
    int rc;

    if (pipe2(p->out, O_CLOEXEC) || pipe2(p->err, O_CLOEXEC)) {
        *error = std::string("pipe: ") + strerror(errno);
        return false;
    }
    for (const std::string &a : argv) {
        args.push_back(const_cast<char *>(a.c_str()));
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p->out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p->err[1], 2);
    rc = posix_spawn(pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p->out[1]);
    close(p->err[1]);
    p->out[1] = p->err[1] = -1;
    if (rc) {
        *error = argv[0] + ": " + strerror(rc);
        return false;
    }
    return true;
}

}  // namespace

std::string VmmResult::Describe() const
{
    std::ostringstream s;

    if (!started) {
        s << "not started: " << error;
    } else if (timed_out) {
        s << "timed out after " << seconds << " s";
    } else if (exited) {
        s << "exited with status " << exit_status;
    } else {
        s << "killed by signal " << term_signal;
    }
    s << "\n--- stdout (tail) ---\n" << Tail(out, 3000)
      << "\n--- stderr (tail) ---\n" << Tail(err, 2000);
    return s.str();
}

VmmResult RunVmm(const std::vector<std::string> &argv, double timeout_s,
                 const std::function<bool(const std::string &out)> &stop_when)
{
    VmmResult r;
    Pipes p;
    pid_t pid;
    int status = 0;
    double start = Now();
    double deadline = start + timeout_s;
    bool out_open = true, err_open = true;

    if (argv.empty() || !Spawn(argv, &p, &pid, &r.error)) {
        return r;
    }
    r.started = true;
    while (out_open || err_open) {
        struct pollfd fds[2] = {
            {out_open ? p.out[0] : -1, POLLIN, 0},
            {err_open ? p.err[0] : -1, POLLIN, 0},
        };
        double left = deadline - Now();
        if (left <= 0) {
            r.timed_out = true;
            break;
        }
        int n = poll(fds, 2, static_cast<int>(left * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (fds[0].revents) {
            out_open = Drain(p.out[0], &r.out);
            if (stop_when && !r.stopped && stop_when(r.out)) {
                r.stopped = true;
                kill(pid, SIGTERM);
            }
        }
        if (fds[1].revents) {
            err_open = Drain(p.err[0], &r.err);
        }
    }
    // Output closed (or the deadline passed): wait for the exit, bounded.
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (r.timed_out || Now() >= deadline) {
            r.timed_out = true;
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(1000);
    }
    r.seconds = Now() - start;
    if (WIFEXITED(status) && !r.timed_out) {
        r.exited = true;
        r.exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.term_signal = WTERMSIG(status);
    }
    return r;
}

std::string Runfile(const std::string &path)
{
    const char *srcdir = std::getenv("TEST_SRCDIR");
    const char *ws = std::getenv("TEST_WORKSPACE");

    if (!srcdir) {
        srcdir = std::getenv("RUNFILES_DIR");
    }
    if (!srcdir) {
        return path;
    }
    return std::string(srcdir) + "/" + (ws ? ws : "emu") + "/" + path;
}

bool FileExists(const std::string &path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

std::vector<std::string> SplitLines(const std::string &text)
{
    std::vector<std::string> lines;
    std::string cur;

    for (char c : text) {
        if (c == '\n') {
            lines.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur += c;
        }
    }
    if (!cur.empty()) {
        lines.push_back(cur);
    }
    return lines;
}

bool HasLine(const std::vector<std::string> &lines, const std::string &line)
{
    for (const std::string &l : lines) {
        if (l == line) {
            return true;
        }
    }
    return false;
}

bool HasLineStartingWith(const std::vector<std::string> &lines,
                         const std::string &prefix)
{
    for (const std::string &l : lines) {
        if (l.compare(0, prefix.size(), prefix) == 0) {
            return true;
        }
    }
    return false;
}

bool HostKvmIsPvm()
{
    return FileExists("/sys/module/kvm_pvm");
}

bool HostKvmUsable(std::string *why)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int vm;

    if (kvm < 0) {
        *why = std::string("/dev/kvm: ") + strerror(errno);
        return false;
    }
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        *why = "/dev/kvm: unexpected KVM API version";
        close(kvm);
        return false;
    }
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        *why = std::string("KVM_CREATE_VM: ") + strerror(errno);
        close(kvm);
        return false;
    }
    close(vm);
    close(kvm);
    return true;
}
