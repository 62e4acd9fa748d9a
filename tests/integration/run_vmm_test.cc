// The harness itself, on /bin/sh instead of a VMM.
#include <gtest/gtest.h>

#include <csignal>

#include "tests/integration/run_vmm.h"

namespace {

TEST(RunVmm, CapturesOutputAndExitStatus)
{
    VmmResult r = RunVmm({"/bin/sh", "-c", "echo out; echo err >&2; exit 33"}, 10);

    ASSERT_TRUE(r.started) << r.error;
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(33, r.exit_status);
    EXPECT_EQ("out\n", r.out);
    EXPECT_EQ("err\n", r.err);
}

TEST(RunVmm, StdinIsEmpty)
{
    VmmResult r = RunVmm({"/bin/sh", "-c", "cat; echo done"}, 10);

    EXPECT_TRUE(r.exited);
    EXPECT_EQ("done\n", r.out);
}

TEST(RunVmm, KillsAtTheDeadline)
{
    VmmResult r = RunVmm({"/bin/sh", "-c", "echo started; exec sleep 30"}, 0.5);

    ASSERT_TRUE(r.started);
    EXPECT_TRUE(r.timed_out);
    EXPECT_FALSE(r.exited);
    EXPECT_EQ(9, r.term_signal);
    EXPECT_EQ("started\n", r.out);
    EXPECT_LT(r.seconds, 5);
}

TEST(RunVmm, StopsWithSigtermWhenTheOutputSaysSo)
{
    VmmResult r = RunVmm({"/bin/sh", "-c", "echo ready; exec sleep 30"}, 20,
                         [](const std::string &out) {
                             return out.find("ready") != std::string::npos;
                         });
    EXPECT_TRUE(r.stopped);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.term_signal, SIGTERM);
    EXPECT_EQ(r.out, "ready\n");
    EXPECT_LT(r.seconds, 10);
}

TEST(RunVmm, DeadlineHoldsWhenOutputIsClosedEarly)
{
    VmmResult r = RunVmm({"/bin/sh", "-c", "exec >&- 2>&-; sleep 30"}, 0.5);

    EXPECT_TRUE(r.timed_out);
    EXPECT_LT(r.seconds, 5);
}

TEST(RunVmm, ReportsSignals)
{
    VmmResult r = RunVmm({"/bin/sh", "-c", "kill -TERM $$"}, 10);

    EXPECT_FALSE(r.exited);
    EXPECT_EQ(15, r.term_signal);
}

TEST(RunVmm, MissingBinaryIsNotStarted)
{
    VmmResult r = RunVmm({"/nonexistent/qemu"}, 10);

    EXPECT_FALSE(r.started);
    EXPECT_NE(std::string::npos, r.error.find("/nonexistent/qemu"));
    EXPECT_NE(std::string::npos, r.Describe().find("not started"));
}

TEST(Lines, SplitsAndMatches)
{
    std::vector<std::string> lines = SplitLines("a\r\nPASS x\nlast");

    ASSERT_EQ(3u, lines.size());
    EXPECT_EQ("a", lines[0]);
    EXPECT_TRUE(HasLine(lines, "PASS x"));
    EXPECT_FALSE(HasLine(lines, "PASS"));
    EXPECT_TRUE(HasLineStartingWith(lines, "PASS "));
    EXPECT_TRUE(HasLine(lines, "last"));
}

TEST(Runfile, FindsThisTestInTheRunfilesTree)
{
    EXPECT_TRUE(FileExists(Runfile("tests/integration/run_vmm_test")))
        << Runfile("tests/integration/run_vmm_test");
}

TEST(HostKvm, UsableGivesAReasonWhenNot)
{
    std::string why;

    if (!HostKvmUsable(&why)) {
        EXPECT_FALSE(why.empty());
    }
}

}  // namespace
