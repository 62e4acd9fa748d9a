// Character backends: escape handling, file output, stdio through pipes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "tests/unit/hw/fake_machine.h"

extern "C" {
#include "hw/char/chardev.h"
}

namespace {

std::string filter(CharEscapeState *st, std::string in, CharEscapeAction *action)
{
    size_t n = chardev_escape_filter(st, reinterpret_cast<uint8_t *>(&in[0]),
                                     in.size(), action);
    return in.substr(0, n);
}

TEST(ChardevEscape, PlainBytesPassThrough)
{
    CharEscapeState st = {};
    CharEscapeAction a;
    EXPECT_EQ(filter(&st, "ls -l\r", &a), "ls -l\r");
    EXPECT_EQ(a, CHAR_ESCAPE_NONE);
}

TEST(ChardevEscape, DoubleCtrlASendsOne)
{
    CharEscapeState st = {};
    CharEscapeAction a;
    EXPECT_EQ(filter(&st, "a\x01\x01" "b", &a), "a\x01" "b");
    EXPECT_EQ(a, CHAR_ESCAPE_NONE);
}

TEST(ChardevEscape, CtrlAXQuitsAndDropsTheRest)
{
    CharEscapeState st = {};
    CharEscapeAction a;
    EXPECT_EQ(filter(&st, "ab\x01xcd", &a), "ab");
    EXPECT_EQ(a, CHAR_ESCAPE_QUIT);
}

TEST(ChardevEscape, EscapeSplitAcrossReads)
{
    CharEscapeState st = {};
    CharEscapeAction a;
    EXPECT_EQ(filter(&st, "z\x01", &a), "z");
    EXPECT_EQ(a, CHAR_ESCAPE_NONE);
    EXPECT_TRUE(st.got_escape);
    EXPECT_EQ(filter(&st, "h", &a), "");
    EXPECT_EQ(a, CHAR_ESCAPE_HELP);
    EXPECT_EQ(filter(&st, "\x01q!", &a), "!");   // unknown escape swallowed
    EXPECT_EQ(a, CHAR_ESCAPE_NONE);
}

TEST(ChardevFile, WritesAndTruncates)
{
    g_autofree char *dir = g_dir_make_tmp("chardev-XXXXXX", nullptr);
    ASSERT_NE(dir, nullptr);
    g_autofree char *path = g_build_filename(dir, "serial.log", nullptr);
    ASSERT_TRUE(g_file_set_contents(path, "old contents", -1, nullptr));

    GError *err = nullptr;
    CharBackend *chr = chardev_new_file(path, &err);
    ASSERT_NE(chr, nullptr) << err->message;
    chardev_write(chr, reinterpret_cast<const uint8_t *>("boot\n"), 5);
    chardev_free(chr);

    g_autofree char *data = nullptr;
    ASSERT_TRUE(g_file_get_contents(path, &data, nullptr, nullptr));
    EXPECT_STREQ(data, "boot\n");
    unlink(path);
    rmdir(dir);
}

TEST(ChardevFile, ErrorNamesThePath)
{
    GError *err = nullptr;
    EXPECT_EQ(chardev_new_file("/nonexistent-dir/x.log", &err), nullptr);
    ASSERT_NE(err, nullptr);
    EXPECT_NE(strstr(err->message, "/nonexistent-dir/x.log"), nullptr) << err->message;
    EXPECT_EQ(strchr(err->message, '\n'), nullptr);
    g_error_free(err);
}

TEST(ChardevConfig, PicksTheBackend)
{
    MachineConfig cfg = {};
    GError *err = nullptr;

    cfg.serial = SERIAL_NONE;
    CharBackend *chr = chardev_new_from_config(nullptr, &cfg, &err);
    ASSERT_NE(chr, nullptr);
    chardev_write(chr, reinterpret_cast<const uint8_t *>("x"), 1);
    chardev_free(chr);

    cfg.serial = SERIAL_FILE;
    cfg.serial_path = const_cast<char *>("/nonexistent-dir/y");
    EXPECT_EQ(chardev_new_from_config(nullptr, &cfg, &err), nullptr);
    ASSERT_NE(err, nullptr);
    g_error_free(err);
}

// A frontend with room for a fixed number of bytes.
struct Sink {
    std::string got;
    size_t room = 0;
    bool bql_held_in_receive = true;
};

size_t sink_can_receive(void *opaque)
{
    return static_cast<Sink *>(opaque)->room;
}

void sink_receive(void *opaque, const uint8_t *buf, size_t len)
{
    auto *s = static_cast<Sink *>(opaque);
    s->bql_held_in_receive &= bql_locked();
    EXPECT_LE(len, s->room);
    s->got.append(reinterpret_cast<const char *>(buf), len);
    s->room -= len;
}

const CharFrontendOps sink_ops = { sink_can_receive, sink_receive };

void iterate(int times)
{
    for (int i = 0; i < times; i++) {
        g_main_context_iteration(main_loop_context(), FALSE);
    }
}

// fd 0 and fd 1 replaced by pipes for the duration of a test.
class StdioPipes {
  public:
    StdioPipes()
    {
        fflush(stdout);
        EXPECT_EQ(pipe(in_), 0);
        EXPECT_EQ(pipe(out_), 0);
        saved_in_ = dup(STDIN_FILENO);
        saved_out_ = dup(STDOUT_FILENO);
        dup2(in_[0], STDIN_FILENO);
        dup2(out_[1], STDOUT_FILENO);
        fcntl(out_[0], F_SETFL, O_NONBLOCK);
    }
    ~StdioPipes()
    {
        dup2(saved_in_, STDIN_FILENO);
        dup2(saved_out_, STDOUT_FILENO);
        for (int fd : { in_[0], in_[1], out_[0], out_[1], saved_in_, saved_out_ }) {
            if (fd >= 0) {
                close(fd);
            }
        }
    }
    void type(const std::string &s) { EXPECT_EQ(write(in_[1], s.data(), s.size()), (ssize_t)s.size()); }
    void close_input()
    {
        close(in_[1]);
        in_[1] = -1;
    }
    std::string output()
    {
        char buf[256];
        ssize_t n = read(out_[0], buf, sizeof(buf));
        return n > 0 ? std::string(buf, n) : std::string();
    }

  private:
    int in_[2], out_[2];
    int saved_in_, saved_out_;
};

TEST(ChardevStdio, PipesFlowControlAndEof)
{
    StdioPipes pipes;
    Sink sink;
    GError *err = nullptr;
    CharBackend *chr = chardev_new_stdio(nullptr, &err);
    ASSERT_NE(chr, nullptr);

    // A second stdio backend is refused.
    EXPECT_EQ(chardev_new_stdio(nullptr, &err), nullptr);
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);

    chardev_write(chr, reinterpret_cast<const uint8_t *>("out\n"), 4);
    EXPECT_EQ(pipes.output(), "out\n");

    sink.room = 3;
    chardev_set_frontend(chr, &sink_ops, &sink);
    pipes.type("hello\x01x");           // not a tty: no escape handling
    iterate(5);
    EXPECT_EQ(sink.got, "hel");         // no room: the rest stays in the pipe
    iterate(5);
    EXPECT_EQ(sink.got, "hel");

    sink.room = 100;
    {
        BqlGuard g;
        chardev_accept_input(chr);
    }
    iterate(5);
    EXPECT_EQ(sink.got, "hello\x01x");
    EXPECT_TRUE(sink.bql_held_in_receive);

    pipes.close_input();
    iterate(5);                         // EOF: the watch goes away
    {
        BqlGuard g;
        chardev_accept_input(chr);      // and does not come back
    }
    iterate(5);
    EXPECT_EQ(sink.got, "hello\x01x");
    chardev_free(chr);

    // Freed: stdio may be used again.
    chr = chardev_new_stdio(nullptr, &err);
    ASSERT_NE(chr, nullptr);
    chardev_free(chr);
}

TEST(ChardevTest, InjectHonoursCanReceive)
{
    Sink sink;
    CharBackend *chr = chardev_new_test();
    BqlGuard g;

    chardev_set_frontend(chr, &sink_ops, &sink);
    chardev_test_inject(chr, "abcdef", 6);
    EXPECT_EQ(sink.got, "");
    EXPECT_EQ(chardev_test_pending_input(chr), 6u);
    sink.room = 4;
    chardev_accept_input(chr);
    EXPECT_EQ(sink.got, "abcd");
    EXPECT_EQ(chardev_test_pending_input(chr), 2u);

    chardev_write(chr, reinterpret_cast<const uint8_t *>("xy"), 2);
    size_t len;
    const uint8_t *p = chardev_test_output(chr, &len);
    EXPECT_EQ(std::string(reinterpret_cast<const char *>(p), len), "xy");
    chardev_test_clear_output(chr);
    chardev_test_output(chr, &len);
    EXPECT_EQ(len, 0u);
    chardev_free(chr);
}

}  // namespace
