#!/usr/bin/env python3
"""Summarise iscsi-test-cu reports: per-test outcomes, counts, the bar, tables.

Outcomes. A test is "failed" when CUnit says FAILED, when it logged a
[FAILED] line before its verdict, or when the report ends before its verdict;
otherwise "skipped" when it logged [SKIPPED] before its verdict (the feature
was reported as missing and the test "passed" without testing it, as in
docs/peers.md); otherwise "clean". What is printed after a test's verdict
(teardown) is not counted.

The 27 tests of the Prin*, Prout* and Reserve6 suites exercise persistent
reservations and RESERVE/RELEASE, which LIO answers before a TCMU handler
sees anything; the other tests (188 of libiscsi 1.19's 215) are "reachable".

    cu_summary.py REPORT... [--list] [--skips] [--check MIN_CLEAN]
        Several reports are merged: a later report replaces the outcome of
        every test it ran (e.g. a ReadOnly run against a write-protected LUN
        over the full run against a writable one). Prints the failed tests
        (every test with --list, failures and skips with their reasons with
        --skips) and the counts over all tests and over the reachable ones.
        --check exits 1 when a reachable test failed or fewer than
        MIN_CLEAN reachable tests are clean.

    cu_summary.py --table MANIFEST [--update DOC]
        MANIFEST has one JSON object per line: {"label": ..., "seconds": ...,
        "reports": [paths, relative to the manifest], "notes": ...,
        "detail": bool}, or {"env": [lines]} describing the run. Prints the
        comparison as markdown: counts and wall time, the reachable tests that
        were not clean with their messages (for runs with "detail", the
        default), the per-test matrix; with --update
        it replaces the text between the markers
        <!-- cu_summary: begin --> and <!-- cu_summary: end --> in DOC.
"""
import json
import os
import re
import sys

KERNEL_SUITES = re.compile(r"^(Prin|Prout|Reserve6)")
BEGIN, END = "<!-- cu_summary: begin -->", "<!-- cu_summary: end -->"


class Test:
    def __init__(self, suite, name):
        self.suite, self.name = suite, name
        self.body = []          # log lines before the verdict
        self.verdict = None     # "passed" or "FAILED"
        self.asserts = []       # CUnit's assertion lines after FAILED

    @property
    def key(self):
        return f"{self.suite}.{self.name}"

    @property
    def reachable(self):
        return not KERNEL_SUITES.match(self.suite)

    @property
    def outcome(self):
        text = "\n".join(self.body)
        if self.verdict != "passed" or "[FAILED]" in text:
            return "failed"
        if "[SKIPPED]" in text:
            return "skipped"
        return "clean"

    @property
    def reason(self):
        """The first [FAILED]/[SKIPPED] message, or CUnit's assertion."""
        want = {"failed": "[FAILED]", "skipped": "[SKIPPED]"}.get(self.outcome)
        if want is None:
            return ""
        for line in self.body:
            i = line.find(want)
            if i >= 0:
                return line[i:].strip()
        if self.asserts:
            return self.asserts[0]
        if self.verdict is None:
            return "no verdict: the report ends inside this test"
        return ""


def parse(text):
    tests, suite, cur, after = [], None, None, False
    for line in text.splitlines():
        m = re.match(r"\s*Suite: (.*)", line)
        if m:
            suite, cur = m.group(1).strip(), None
            continue
        if line.startswith("Run Summary"):
            cur = None
            continue
        m = re.match(r"\s*Test: (\S+) \.\.\.(.*)", line)
        if m:
            cur, after = Test(suite, m.group(1)), False
            tests.append(cur)
            chunk = m.group(2)
        elif cur is None:
            continue
        else:
            chunk = line
        if after:
            if cur.verdict == "FAILED" and re.match(r"\s+\d+\. ", chunk):
                cur.asserts.append(chunk.strip())
            continue
        # CUnit prints its verdict unindented, right after "..." or at the
        # start of a line; the test's own log lines are indented.
        m = re.match(r"(passed|FAILED)\b(.*)", chunk)
        if m:
            cur.verdict, after = m.group(1), True
        elif chunk.strip():
            cur.body.append(chunk)
    return tests


def load(paths):
    """Merge reports: later ones replace the tests they ran."""
    merged = {}
    for p in paths:
        with open(p, errors="replace") as f:
            for t in parse(f.read()):
                merged[t.key] = t
    return list(merged.values())


def counts(tests, reachable_only):
    c = {"clean": 0, "skipped": 0, "failed": 0}
    for t in tests:
        if t.reachable or not reachable_only:
            c[t.outcome] += 1
    return c


def count_line(tests, reachable_only):
    c = counts(tests, reachable_only)
    n = sum(c.values())
    what = "reachable" if reachable_only else "total"
    return f"{what} {n} clean {c['clean']} skipped {c['skipped']} failed {c['failed']}"


def summary(argv):
    paths = [a for a in argv if not a.startswith("--")]
    min_clean = None
    if "--check" in argv:
        i = argv.index("--check")
        min_clean = int(argv[i + 1])
        paths.remove(argv[i + 1])
    if not paths:
        sys.exit(__doc__)
    tests = load(paths)
    for t in tests:
        kind = t.outcome
        tag = "" if t.reachable else " (kernel)"
        if "--list" in argv or kind == "failed" or ("--skips" in argv and kind == "skipped"):
            reason = t.reason if ("--skips" in argv or kind == "failed") else ""
            print(f"{kind:8} {t.key}{tag}" + (f"  {reason}" if reason else ""))
    print(count_line(tests, False))
    print(count_line(tests, True))
    if min_clean is None:
        return 0
    c = counts(tests, True)
    ok = c["failed"] == 0 and c["clean"] >= min_clean
    print(f"bar: no reachable test failed and at least {min_clean} clean: "
          f"{'met' if ok else 'NOT met'} ({c['failed']} failed, {c['clean']} clean)")
    return 0 if ok else 1


def cell(outcome):
    return {"clean": "clean", "skipped": "skip", "failed": "**FAIL**", None: "not run"}[outcome]


def table(manifest):
    base = os.path.dirname(os.path.abspath(manifest))
    runs, env, listed = [], [], []
    with open(manifest) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if "env" in r:
                env += r["env"]
                continue
            if "listed" in r:
                # Every test the tool has (iscsi-test-cu --list), so that
                # one left out of every run still counts as not run.
                listed += r["listed"]
                continue
            r["tests"] = load([os.path.join(base, p) for p in r["reports"]])
            runs.append(r)
    out = [f"- {e}" for e in env] + ([""] if env else [])
    universe = list(dict.fromkeys([t.key for r in runs for t in r["tests"]] + listed))
    n_all = len(universe)
    n_reach = sum(1 for k in universe if not KERNEL_SUITES.match(k))
    out.append(f"| backstore | reachable ({n_reach}): clean | skipped | failed | not run "
               f"| all {n_all}: clean | skipped | failed | iscsi-test-cu time |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        a, b = counts(r["tests"], True), counts(r["tests"], False)
        out.append(f"| {r['label']} | {a['clean']} | {a['skipped']} | {a['failed']} "
                   f"| {n_reach - sum(a.values())} "
                   f"| {b['clean']} | {b['skipped']} | {b['failed']} | {r['seconds']} s |")
    notes = [r for r in runs if r.get("notes")]
    if notes:
        out.append("")
        for r in notes:
            out.append(f"- {r['label']}: {r['notes']}")
    for r in runs:
        if not r.get("detail", True):
            continue
        rows = [t for t in r["tests"] if t.reachable and t.outcome != "clean"]
        out.append("")
        out.append(f"### {r['label']}: reachable tests not clean ({len(rows)})")
        out.append("")
        if not rows:
            out.append("None.")
            continue
        out.append("| test | outcome | first message |")
        out.append("|---|---|---|")
        for t in rows:
            msg = t.reason.replace("|", "\\|")
            out.append(f"| {t.key} | {cell(t.outcome)} | {msg} |")
    out.append("")
    out.append("### Every test")
    out.append("")
    out.append("(k): answered by LIO itself for every backstore (persistent "
               "reservations, RESERVE/RELEASE); not counted as reachable.")
    out.append("")
    out.append("| test | " + " | ".join(r["label"] for r in runs) + " |")
    out.append("|---|" + "---|" * len(runs))
    by = [{t.key: t for t in r["tests"]} for r in runs]
    for k in universe:
        name = k + (" (k)" if KERNEL_SUITES.match(k) else "")
        out.append(f"| {name} | " + " | ".join(
            cell(b[k].outcome if k in b else None) for b in by) + " |")
    return "\n".join(out) + "\n"


def update(doc, text):
    with open(doc) as f:
        old = f.read()
    i, j = old.find(BEGIN), old.find(END)
    if i < 0 or j < i:
        sys.exit(f"{doc}: no {BEGIN} ... {END} markers")
    new = old[:i + len(BEGIN)] + "\n" + text + old[j:]
    with open(doc, "w") as f:
        f.write(new)


def main(argv):
    if "--table" in argv:
        text = table(argv[argv.index("--table") + 1])
        if "--update" in argv:
            update(argv[argv.index("--update") + 1], text)
        else:
            sys.stdout.write(text)
        return 0
    return summary(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
