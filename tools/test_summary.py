#!/usr/bin/env python3
"""Counts passed, failed and skipped test cases from Bazel build-event files.

Each argument is a --build_event_json_file, or NAME=passed|failed for a
check that ran outside Bazel.  Test cases are read from the
JUnit XML each test wrote (googletest's, or Bazel's one-case default);
a test target that failed without a failing case in its XML (crash,
timeout) counts as one failure, and so does a test target that did not
build.  Prints the failing and skipped cases, then the closing line
"N passed, N failed[, N skipped]".
"""
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def xml_cases(path):
    """Yields (name, outcome, message) for every test case in a JUnit file."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return
    for case in root.iter("testcase"):
        name = "%s.%s" % (case.get("classname", ""), case.get("name", ""))
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            yield name, "failed", (failure.get("message") or failure.text or "").strip()
        elif skipped is not None or case.get("result") == "skipped" or case.get("status") == "notrun":
            msg = (skipped.get("message") or skipped.text or "") if skipped is not None else ""
            yield name, "skipped", msg.strip()
        else:
            yield name, "passed", ""


def first_words(msg):
    """The message without googletest's leading 'file:line' line."""
    lines = [l.strip() for l in msg.splitlines() if l.strip()]
    if len(lines) > 1 and lines[0].count(":") == 1 and lines[0].split(":")[1].isdigit():
        lines = lines[1:]
    return " ".join(lines)[:300]


def main(files):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    notes = []
    test_labels = set()
    ran = set()
    for f in files:
        name, sep, outcome = f.partition("=")
        if sep and outcome in ("passed", "failed"):
            counts[outcome] += 1
            if outcome == "failed":
                notes.append("FAILED  %s" % name)
            continue
        with open(f) as fh:
            events = [json.loads(line) for line in fh if line.strip()]
        for ev in events:
            eid = ev.get("id", {})
            if "targetConfigured" in eid and ev.get("configured", {}).get("testSize"):
                test_labels.add(eid["targetConfigured"]["label"])
            if "testResult" not in eid:
                continue
            label = eid["testResult"]["label"]
            ran.add(label)
            result = ev.get("testResult", {})
            status = result.get("status", "NO_STATUS")
            xml = None
            for out in result.get("testActionOutput", []):
                if out.get("name") == "test.xml":
                    xml = urllib.parse.unquote(urllib.parse.urlparse(out["uri"]).path)
            cases = list(xml_cases(xml)) if xml else []
            failed_cases = 0
            for name, outcome, msg in cases:
                counts[outcome] += 1
                if outcome == "failed":
                    failed_cases += 1
                    notes.append("FAILED  %s %s: %s" % (label, name, first_words(msg)))
                elif outcome == "skipped":
                    notes.append("SKIPPED %s %s: %s" % (label, name, first_words(msg)))
            if status not in ("PASSED", "FLAKY") and failed_cases == 0:
                counts["failed"] += 1
                notes.append("FAILED  %s: %s" % (label, status))
            elif not cases and status in ("PASSED", "FLAKY"):
                counts["passed"] += 1
    for label in sorted(test_labels - ran):
        counts["failed"] += 1
        notes.append("FAILED  %s: did not build or run" % label)
    for n in notes:
        print(n)
    line = "%d passed, %d failed" % (counts["passed"], counts["failed"])
    if counts["skipped"]:
        line += ", %d skipped" % counts["skipped"]
    print(line)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
