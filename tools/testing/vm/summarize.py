#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count test results for `make check`.

summarize.py OUT_DIR GROUP=RESULTS_DIR [GROUP=RESULTS_DIR ...]

Each RESULTS_DIR holds <suite>.txt (raw output) and <suite>.rc (exit code).
Output formats understood: IGT ("Subtest NAME: SUCCESS|FAIL|SKIP|CRASH|TIMEOUT")
and TAP/KTAP ("ok N name", "not ok N name", "# SKIP", nested by indentation:
only leaves count). A suite that exited non-zero without reporting a failure
counts one failure; one with no .rc did not finish (the VM died) and fails.
splats.txt (from scan-log) adds one failure per splat under <group>/kernel-log.
Prints "<group>/<suite>: N passed, N failed, N skipped" per suite and the
total; writes OUT_DIR/summary.json and OUT_DIR/junit.xml. Exit 1 on failure.
"""
import json
import os
import re
import sys
from xml.sax.saxutils import quoteattr

PLAN_SKIP = re.compile(r'^1\.\.0\s*#\s*SKIP\s*(.*)$')
NOT_SUITES = ('console', 'dmesg', 'splats', 'kmemleak-raw')
IGT = re.compile(r'^Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH|TIMEOUT)\b')
TAP = re.compile(r'^(\s*)(not )?ok \d+(?: -)? ?([^#]*?)\s*(#\s*(\w+).*)?$')


def parse(text):
    """Return [(name, 'pass'|'fail'|'skip')] from one suite's output."""
    out = []
    for line in text.splitlines():
        m = IGT.match(line)
        if m:
            res = {'SUCCESS': 'pass', 'SKIP': 'skip'}.get(m.group(2), 'fail')
            out.append((m.group(1), res))
    if out:
        return out
    taps = []
    for line in text.splitlines():
        m = PLAN_SKIP.match(line)
        if m:
            return [('(all: %s)' % m.group(1).strip(), 'skip')]
        m = TAP.match(line.replace('\t', '        '))
        if m:
            depth = len(m.group(1))
            directive = (m.group(5) or '').upper()
            if m.group(2):
                res = 'fail'
            elif directive == 'SKIP':
                res = 'skip'
            else:
                res = 'pass'
            taps.append((depth, m.group(3).strip() or '?', res))
    # A TAP line is a parent when deeper lines come right before it.
    for i, (depth, name, res) in enumerate(taps):
        if i > 0 and taps[i - 1][0] > depth:
            continue
        out.append((name, res))
    return out


def suite_results(rdir, suite):
    with open(os.path.join(rdir, suite + '.txt'), errors='replace') as f:
        tests = parse(f.read())
    rcfile = os.path.join(rdir, suite + '.rc')
    if not os.path.exists(rcfile):
        tests.append(('(suite did not finish)', 'fail'))
        return tests
    rc = int(open(rcfile).read().strip() or 1)
    if rc not in (0, 77) and not any(r == 'fail' for _, r in tests):
        tests.append(('(exit code %d)' % rc, 'fail'))
    if not tests:
        tests.append(('(no results)', 'skip' if rc == 77 else 'fail'))
    return tests


def main():
    outdir = sys.argv[1]
    groups = []
    for arg in sys.argv[2:]:
        group, rdir = arg.split('=', 1)
        suites = {}
        if os.path.isdir(rdir):
            for fn in sorted(os.listdir(rdir)):
                name = fn[:-4]
                if fn.endswith('.txt') and name not in NOT_SUITES:
                    suites[name] = suite_results(rdir, name)
            sp = os.path.join(rdir, 'splats.txt')
            if os.path.exists(sp):
                lines = [l.strip() for l in open(sp) if l.strip()]
                suites['kernel-log'] = [(l, 'fail') for l in lines] or [('no-splats', 'pass')]
        else:
            suites['(missing)'] = [('results directory %s missing' % rdir, 'fail')]
        groups.append((group, suites))

    total = {'pass': 0, 'fail': 0, 'skip': 0}
    summary = []
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>']
    for group, suites in groups:
        for suite, tests in suites.items():
            c = {'pass': 0, 'fail': 0, 'skip': 0}
            xml.append('  <testsuite name=%s tests="%d">' % (quoteattr(group + '/' + suite), len(tests)))
            for name, res in tests:
                c[res] += 1
                xml.append('    <testcase classname=%s name=%s>%s</testcase>' % (
                    quoteattr(group + '/' + suite), quoteattr(name),
                    {'pass': '', 'fail': '<failure/>', 'skip': '<skipped/>'}[res]))
            xml.append('  </testsuite>')
            for k in c:
                total[k] += c[k]
            print('%s/%s: %d passed, %d failed, %d skipped' % (group, suite, c['pass'], c['fail'], c['skip']))
            for name, res in tests:
                if res == 'fail':
                    print('    FAIL %s' % name)
            summary.append({'group': group, 'suite': suite, 'passed': c['pass'], 'failed': c['fail'],
                            'skipped': c['skip'], 'tests': [{'name': n, 'result': r} for n, r in tests]})
    xml.append('</testsuites>')
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, 'summary.json'), 'w') as f:
        json.dump({'suites': summary, 'passed': total['pass'], 'failed': total['fail'],
                   'skipped': total['skip']}, f, indent=1)
    with open(os.path.join(outdir, 'junit.xml'), 'w') as f:
        f.write('\n'.join(xml) + '\n')
    print('%d passed, %d failed, %d skipped' % (total['pass'], total['fail'], total['skip']))
    return 1 if total['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
