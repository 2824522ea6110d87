#!/usr/bin/env python3
"""Summarise an iscsi-test-cu report: per-test outcome and counts.

A test that "passed" after printing [SKIPPED] (the feature is reported as not
implemented) counts as skipped, not clean, as in docs/peers.md.

    cu_summary.py REPORT [--list]
"""
import re
import sys


def parse(text):
    suite, cur, out = None, None, []
    for line in text.splitlines():
        m = re.match(r"\s*Suite: (.*)", line)
        if m:
            suite = m.group(1).strip()
            continue
        m = re.match(r"\s*Test: (\S+) \.\.\.(.*)", line)
        if m:
            if cur:
                out.append(cur)
            cur = [suite, m.group(1), m.group(2)]
        elif cur:
            cur[2] += " " + line.strip()
    if cur:
        out.append(cur)
    return out


def outcome(detail):
    if "FAILED" in detail:
        return "failed"
    if "SKIPPED" in detail:
        return "skipped"
    return "clean"


def main():
    tests = parse(open(sys.argv[1], errors="replace").read())
    counts = {"clean": 0, "skipped": 0, "failed": 0}
    for suite, name, detail in tests:
        kind = outcome(detail)
        counts[kind] += 1
        if "--list" in sys.argv or kind == "failed":
            print(f"{kind:8} {suite}.{name}")
    print(f"total {len(tests)} clean {counts['clean']} skipped {counts['skipped']} "
          f"failed {counts['failed']}")


if __name__ == "__main__":
    main()
