/*
 * The lockstep checker's sequence generator: sequences are well formed
 * (instructions back to back, the END marker last), reproducible from the
 * seed, and every instruction decodes as what the template meant to
 * encode: LLVM's disassembler (llvm-mc-14) must read exactly one
 * instruction of the expected mnemonic from each one's bytes, never write
 * a reserved register and touch memory only through R14.
 */
#include <gtest/gtest.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "tools/lockstep/gen.h"
}

namespace {

const char *const kLlvmMc = "/usr/bin/llvm-mc-14";

GenSeq *make_seq(guint32 seed, unsigned classes, unsigned min, unsigned max)
{
    GenSeq *s = g_new0(GenSeq, 1);
    GRand *r = g_rand_new_with_seed(seed);

    gen_sequence(r, classes, min, max, s);
    g_rand_free(r);
    return s;
}

TEST(LockstepGen, SequencesAreWellFormed)
{
    for (guint32 seed = 1; seed <= 500; seed++) {
        unsigned classes = seed % 3 == 0 ? GEN_CLASS_INT
                         : seed % 3 == 1 ? GEN_CLASS_SSE : GEN_CLASS_ALL;
        GenSeq *s = make_seq(seed, classes, 1, 20);
        unsigned off = 0;

        ASSERT_GE(s->nitems, 1u);
        ASSERT_LE(s->nitems, 20u);
        ASSERT_GE(s->ninsns, s->nitems);
        for (unsigned i = 0; i < s->ninsns; i++) {
            EXPECT_EQ(s->insns[i].offset, off) << "seed " << seed;
            EXPECT_GE(s->insns[i].len, 1u);
            EXPECT_LE(s->insns[i].len, 15u);
            ASSERT_NE(s->insns[i].mnemonic, nullptr);
            off += s->insns[i].len;
        }
        EXPECT_EQ(s->end_offset, off);
        EXPECT_EQ(s->code_len, off + GEN_END_LEN);
        EXPECT_EQ(0, memcmp(s->code + off, gen_end_marker, GEN_END_LEN));
        EXPECT_EQ(s->undef_flags & ~GEN_ARITH_FLAGS, 0u);
        g_free(s);
    }
}

TEST(LockstepGen, LengthBoundsAreHonoured)
{
    for (guint32 seed = 1; seed <= 100; seed++) {
        GenSeq *s = make_seq(seed, GEN_CLASS_ALL, 5, 5);

        EXPECT_EQ(s->nitems, 5u);
        g_free(s);
        s = make_seq(seed, GEN_CLASS_INT, 1, 1);
        EXPECT_EQ(s->nitems, 1u);
        g_free(s);
    }
}

TEST(LockstepGen, SameSeedSameSequence)
{
    GenSeq *a = make_seq(42, GEN_CLASS_ALL, 1, 20);
    GenSeq *b = make_seq(42, GEN_CLASS_ALL, 1, 20);
    GenSeq *c = make_seq(43, GEN_CLASS_ALL, 1, 20);

    ASSERT_EQ(a->code_len, b->code_len);
    EXPECT_EQ(0, memcmp(a->code, b->code, a->code_len));
    EXPECT_EQ(a->undef_flags, b->undef_flags);
    EXPECT_FALSE(a->code_len == c->code_len &&
                 memcmp(a->code, c->code, a->code_len) == 0);
    g_free(a);
    g_free(b);
    g_free(c);
}

bool is_sse_mnemonic(const std::string &m)
{
    static const char *const stems[] = {
        "movdq", "movap", "movup", "movd", "movq", "pxor", "por", "pand",
        "padd", "psub", "pcmp", "punpck", "pmul", "pmin", "pmax", "pavg",
        "pshuf", "psrl", "psll", "psra", "pmovmskb", "comis", "ucomis",
        "cvt", "xorps", "andps", "orps", "unpck", "shufps",
    };
    for (const char *stem : stems) {
        if (m.compare(0, strlen(stem), stem) == 0) {
            return true;
        }
    }
    return m.size() > 4 && (m.compare(m.size() - 2, 2, "ps") == 0 ||
                            m.compare(m.size() - 2, 2, "pd") == 0 ||
                            m.compare(m.size() - 2, 2, "ss") == 0 ||
                            m.compare(m.size() - 2, 2, "sd") == 0);
}

TEST(LockstepGen, ClassesAreSeparate)
{
    EXPECT_GT(gen_template_count(GEN_CLASS_INT), 15u);
    EXPECT_GT(gen_template_count(GEN_CLASS_SSE), 5u);
    EXPECT_GT(gen_template_count(GEN_CLASS_X87), 0u);
    EXPECT_EQ(gen_template_count(GEN_CLASS_ALL),
              gen_template_count(GEN_CLASS_INT) +
              gen_template_count(GEN_CLASS_SSE) +
              gen_template_count(GEN_CLASS_X87));

    for (guint32 seed = 1; seed <= 200; seed++) {
        GenSeq *s = make_seq(seed, GEN_CLASS_INT, 1, 20);
        GenSeq *x = make_seq(seed, GEN_CLASS_SSE, 1, 20);

        for (unsigned i = 0; i < s->ninsns; i++) {
            EXPECT_FALSE(is_sse_mnemonic(s->insns[i].mnemonic))
                << s->insns[i].mnemonic;
        }
        for (unsigned i = 0; i < x->ninsns; i++) {
            EXPECT_TRUE(is_sse_mnemonic(x->insns[i].mnemonic))
                << x->insns[i].mnemonic;
        }
        g_free(s);
        g_free(x);
    }
}

/* Runs llvm-mc on FILE; returns its stdout, stderr into *ERR. */
std::string disassemble(const std::string &file, std::string *err)
{
    const char *argv[] = { kLlvmMc, "--disassemble", "-triple=x86_64",
                           file.c_str(), nullptr };
    gchar *out = nullptr, *errs = nullptr;
    GError *error = nullptr;
    int status = 0;

    bool ok = g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
                           G_SPAWN_STDIN_FROM_DEV_NULL, nullptr, nullptr,
                           &out, &errs, &status, &error);
    EXPECT_TRUE(ok) << (error ? error->message : "");
    std::string result = out ? out : "";
    *err = errs ? errs : "";
    g_free(out);
    g_free(errs);
    g_clear_error(&error);
    return result;
}

/* Disassembly lines, with prefix-only lines ("lock", "rep") joined. */
std::vector<std::string> insn_lines(const std::string &text)
{
    static const std::set<std::string> prefixes = {
        "lock", "rep", "repe", "repne", "data16", "rex64",
    };
    std::vector<std::string> lines;
    std::string pending;
    gchar **split = g_strsplit(text.c_str(), "\n", -1);

    for (gchar **l = split; *l; l++) {
        gchar *t = g_strstrip(g_strdup(*l));
        std::string line = t;
        g_free(t);
        if (line.empty() || line[0] == '.') {
            continue;
        }
        std::string norm;
        for (char c : line) {
            c = c == '\t' ? ' ' : c;
            if (c != ' ' || norm.empty() || norm.back() != ' ') {
                norm += c;
            }
        }
        line = norm;
        if (prefixes.count(line)) {
            pending += line + " ";
            continue;
        }
        lines.push_back(pending + line);
        pending.clear();
    }
    g_strfreev(split);
    return lines;
}

/* Registers generated code must not write. */
bool is_reserved(const std::string &op)
{
    static const std::set<std::string> names = {
        "%rsp", "%esp", "%sp", "%spl", "%r14", "%r14d", "%r14w", "%r14b",
        "%r15", "%r15d", "%r15w", "%r15b",
    };
    return names.count(op) != 0;
}

/* The operands of a disassembly line ("rep movsb (%rsi), %es:(%rdi)"). */
std::vector<std::string> operands(const std::string &line)
{
    std::string rest;

    /* prefixes were joined in front of the mnemonic */
    std::string l = line;
    for (const char *p : { "lock ", "rep ", "repe ", "repne " }) {
        if (l.compare(0, strlen(p), p) == 0) {
            l = l.substr(strlen(p));
        }
    }
    size_t sp = l.find_first_of(' ');
    rest = sp == std::string::npos ? "" : l.substr(sp + 1);

    std::vector<std::string> ops;
    std::string cur;
    int depth = 0;
    auto flush = [&]() {
        gchar *t = g_strstrip(g_strdup(cur.c_str()));
        if (*t) {
            ops.push_back(t);
        }
        g_free(t);
        cur.clear();
    };
    for (char c : rest) {
        if (c == '#') {
            break;
        }
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (c == ',' && depth == 0) {
            flush();
            continue;
        }
        cur += c;
    }
    flush();
    return ops;
}

TEST(LockstepGen, EveryInstructionDecodesAsIntended)
{
    if (access(kLlvmMc, X_OK) != 0) {
        GTEST_SKIP() << kLlvmMc << " is not installed";
    }
    g_autofree gchar *dir = g_dir_make_tmp("lockstep-gen-XXXXXX", nullptr);
    ASSERT_NE(dir, nullptr);
    std::string file = std::string(dir) + "/seq.txt";
    std::string input;
    std::vector<std::string> expected;
    std::vector<std::string> bytes_of;

    for (guint32 seed = 1; seed <= 400; seed++) {
        GenSeq *s = make_seq(seed * 7919u, GEN_CLASS_ALL, 1, 20);

        for (unsigned i = 0; i < s->ninsns; i++) {
            std::string hex;
            for (unsigned j = 0; j < s->insns[i].len; j++) {
                char b[8];
                snprintf(b, sizeof(b), "0x%02x ", s->code[s->insns[i].offset + j]);
                hex += b;
            }
            /* each instruction is followed by UD2 as a fence */
            input += hex + "0x0f 0x0b\n";
            expected.push_back(s->insns[i].mnemonic);
            bytes_of.push_back(hex);
        }
        if (seed == 1) {
            for (unsigned j = s->end_offset; j < s->code_len; j++) {
                char b[8];
                snprintf(b, sizeof(b), "0x%02x ", s->code[j]);
                input += b;
                if (j + 1 == s->end_offset + GEN_END_STORE_LEN ||
                    j + 1 == s->code_len) {
                    input += "0x0f 0x0b\n";
                }
            }
            expected.push_back("movq %r15, (%r15)");
            expected.push_back("jmp");
            bytes_of.push_back("END");
            bytes_of.push_back("END");
        }
        g_free(s);
    }
    ASSERT_TRUE(g_file_set_contents(file.c_str(), input.c_str(), -1, nullptr));

    std::string err;
    std::vector<std::string> lines = insn_lines(disassemble(file, &err));
    EXPECT_EQ(err, "");

    size_t li = 0;
    for (size_t i = 0; i < expected.size(); i++) {
        ASSERT_LT(li + 1, lines.size()) << "output ends early at " << i;
        std::string line = lines[li];
        if (line.compare(0, 5, "lock ") == 0) {
            line = line.substr(5);
        }
        EXPECT_EQ(line.compare(0, expected[i].size(), expected[i]), 0)
            << "bytes " << bytes_of[i] << "decode as '" << line
            << "', expected " << expected[i];
        if (lines[li + 1] != "ud2") {
            ADD_FAILURE() << "bytes " << bytes_of[i] << "decode as '" << line
                          << "' followed by '" << lines[li + 1]
                          << "' (length mismatch)";
            /* resynchronise on the next fence */
            while (li < lines.size() && lines[li] != "ud2") {
                li++;
            }
            li++;
            continue;
        }
        li += 2;

        if (bytes_of[i] == "END") {
            continue;
        }
        std::vector<std::string> ops = operands(line);
        const std::string &m = expected[i];
        bool writes_last = !(m == "cmp" || m == "test" || m == "bt" ||
                             m == "push" || m == "nop" ||
                             m.find("comis") != std::string::npos);
        if (ops.size() == 1 && (m == "mul" || m == "imul" || m == "div" ||
                                m == "idiv")) {
            writes_last = false;    /* the operand is the source */
        }
        if (!ops.empty() && writes_last) {
            EXPECT_FALSE(is_reserved(ops.back()))
                << "'" << line << "' writes a reserved register";
        }
        if (ops.size() == 2 && (m == "xchg" || m == "xadd")) {
            EXPECT_FALSE(is_reserved(ops[0]))
                << "'" << line << "' writes a reserved register";
        }
        for (const std::string &op : ops) {
            size_t paren = op.find('(');
            if (paren == std::string::npos || op.compare(0, 3, "%st") == 0 ||
                m == "lea" || m == "nop" ||
                m.compare(0, 3, "rep") == 0 || m == "movs" ||
                m == "stos" || m == "lods" || m == "cmps" || m == "scas") {
                continue;
            }
            EXPECT_EQ(op.compare(paren, 5, "(%r14"), 0)
                << "'" << line << "' accesses memory outside the data page";
        }
    }
    g_unlink(file.c_str());
    g_rmdir(dir);
}

}  // namespace
