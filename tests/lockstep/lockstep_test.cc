/*
 * The lockstep checker run for real: fixed seeds, thousands of random
 * sequences, KVM's native results against TCG's, and each accelerator
 * against itself (which checks the harness: state set, run, read back).
 * Every run must end with "0 mismatches" and exit status 0.
 */
#include <gtest/gtest.h>

#include <fcntl.h>
#include <glib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

std::string runfile(const std::string &name)
{
    const char *dir = g_getenv("TEST_SRCDIR");
    const char *ws = g_getenv("TEST_WORKSPACE");
    return std::string(dir ? dir : ".") + "/" + (ws ? ws : "emu") + "/" + name;
}

struct RunOutput {
    int status = -1;
    std::string out, err;
};

RunOutput lockstep(const std::vector<std::string> &args)
{
    std::vector<std::string> argv = { runfile("tools/lockstep/lockstep") };
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (auto &a : argv) {
        cargv.push_back(const_cast<char *>(a.c_str()));
    }
    cargv.push_back(nullptr);

    RunOutput r;
    gchar *out = nullptr, *err = nullptr;
    GError *error = nullptr;
    int wait_status = 0;
    bool ok = g_spawn_sync(nullptr, cargv.data(), nullptr,
                           G_SPAWN_STDIN_FROM_DEV_NULL, nullptr, nullptr,
                           &out, &err, &wait_status, &error);
    EXPECT_TRUE(ok) << (error ? error->message : "");
    if (ok) {
        r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status)
                                          : 128 + WTERMSIG(wait_status);
        r.out = out;
        r.err = err;
    }
    g_free(out);
    g_free(err);
    g_clear_error(&error);
    return r;
}

/* Why KVM cannot be used here, or "" if it can. */
std::string kvm_unusable()
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        return std::string("/dev/kvm: ") + g_strerror(errno);
    }
    close(fd);
    return "";
}

/* Runs COUNT sequences from SEED and expects no mismatch. */
void expect_clean(const std::vector<std::string> &extra, int seed, int count)
{
    std::vector<std::string> args = { "--seed", std::to_string(seed),
                                      "--count", std::to_string(count) };
    args.insert(args.end(), extra.begin(), extra.end());
    RunOutput r = lockstep(args);
    std::string summary = "lockstep: " + std::to_string(count) + " sequences, ";

    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(summary), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" 0 mismatches"), std::string::npos) << r.out;
}

TEST(Lockstep, CommandLineErrorsAreReported)
{
    RunOutput r = lockstep({ "--length", "5:2" });
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--length"), std::string::npos) << r.err;

    r = lockstep({ "--classes", "mmx" });
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--classes"), std::string::npos) << r.err;

    r = lockstep({ "--exclude", "nosuch" });
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;

    r = lockstep({ "--accels", "kvm,hvf" });
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("hvf"), std::string::npos) << r.err;
}

TEST(Lockstep, ListsTemplates)
{
    RunOutput r = lockstep({ "--list-templates" });
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("div "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("sse-float "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("sse-cmp "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("x87 "), std::string::npos) << r.out;
}

/* TCG against itself needs no KVM: it checks that set_state fully resets. */
TEST(Lockstep, TcgSelfCheck)
{
    expect_clean({ "--accels", "tcg", "--self-check" }, 1000, 1500);
}

TEST(Lockstep, TcgSteppedMatchesWholeRuns)
{
    expect_clean({ "--accels", "tcg", "--self-check", "--step" }, 3000, 500);
}

/*
 * KVM against TCG one instruction at a time.  Where the host's KVM cannot
 * single-step CPL3 code, lockstep says so and compares whole sequences.
 */
TEST(Lockstep, KvmAgainstTcgStepped)
{
    std::string why = kvm_unusable();
    if (!why.empty()) {
        GTEST_SKIP() << "KVM is not usable: " << why;
    }
    RunOutput r = lockstep({ "--seed", "4000", "--count", "300", "--step" });
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("300 sequences"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" 0 mismatches"), std::string::npos) << r.out;
    const std::string tag = "KVM single-step is not supported by this host's "
                            "KVM: ";
    size_t pos = r.err.find(tag);
    if (pos != std::string::npos) {
        GTEST_SKIP() << r.err.substr(pos, r.err.find('\n', pos) - pos);
    }
}

TEST(Lockstep, KvmSelfCheck)
{
    std::string why = kvm_unusable();
    if (!why.empty()) {
        GTEST_SKIP() << "KVM is not usable: " << why;
    }
    expect_clean({ "--accels", "kvm", "--self-check" }, 2000, 1500);
}

TEST(Lockstep, KvmAgainstTcgInteger)
{
    std::string why = kvm_unusable();
    if (!why.empty()) {
        GTEST_SKIP() << "KVM is not usable: " << why;
    }
    for (int seed : { 1, 100000, 200000 }) {
        expect_clean({ "--classes", "int" }, seed, 1500);
    }
}

TEST(Lockstep, KvmAgainstTcgSse)
{
    std::string why = kvm_unusable();
    if (!why.empty()) {
        GTEST_SKIP() << "KVM is not usable: " << why;
    }
    for (int seed : { 300000, 400000 }) {
        expect_clean({ "--classes", "sse" }, seed, 1000);
    }
}

TEST(Lockstep, KvmAgainstTcgX87)
{
    std::string why = kvm_unusable();
    if (!why.empty()) {
        GTEST_SKIP() << "KVM is not usable: " << why;
    }
    expect_clean({ "--classes", "x87" }, 600000, 1000);
}

TEST(Lockstep, KvmAgainstTcgMixedLong)
{
    std::string why = kvm_unusable();
    if (!why.empty()) {
        GTEST_SKIP() << "KVM is not usable: " << why;
    }
    expect_clean({ "--length", "20:40" }, 500000, 500);
}

}  // namespace
