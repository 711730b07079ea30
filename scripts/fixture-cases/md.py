#!/usr/bin/env python3
"""Prints the tables of docs/peers.md and docs/recall-spec.md from report.py's output:
`md.py RESULTS peers|recall|totals`."""
import json, os, sys, collections
r = json.load(open(sys.argv[1]))
NOTES = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'notes.json')))

def today(row):
    if row['right']:
        return 'right'
    parts = []
    if row['missed']:
        rules = sorted({m.split()[1] for m in row['missed']})
        lines = ', '.join(m.split()[0] for m in row['missed'])
        parts.append(f"missed `{'`, `'.join(rules)}` (lines {lines})")
    if row['unexpected']:
        parts.append('unexpected ' + ', '.join(f"`{u.split()[1]}` at {u.split()[0]}" for u in row['unexpected']))
    return '; '.join(parts)

def verdict(row):
    return ', '.join(f'`{e}`' for e in row['expected']) if row['expected'] else 'silent'

def loc(row):
    p = row['path'].replace('fixtures/src/', '').replace('fixtures/crates/', 'crates/')
    return f"`{p}:{row['line']}`"

mode = sys.argv[2]
if mode == 'peers':
    suites = collections.OrderedDict()
    for row in r['peers']:
        suites.setdefault(row['suite'], []).append(row)
    for suite, rows in suites.items():
        print(f'\n#### {suite}\n')
        print('| upstream case | what it tests | peer | fixture | lockscan verdict | today |')
        print('|---|---|---|---|---|---|')
        for row in rows:
            note = NOTES.get(row['case'], '')
            v = verdict(row) + (f' ({note})' if note else '')
            print(f"| {row['case']} | {row['what']} | {row['peer']} | {loc(row)} | {v} | {today(row)} |")
elif mode == 'recall':
    print('| shape | case | kind | fixture | expected | today |')
    print('|---|---|---|---|---|---|')
    for row in r['recall']:
        print(f"| {row['shape']} | {row['case']} | {'positive' if row['kind']=='pos' else 'negative'} | {loc(row)} | {verdict(row)} | {today(row)} |")
elif mode == 'totals':
    suites = collections.OrderedDict()
    for row in r['peers']:
        suites.setdefault(row['suite'], []).append(row)
    tot = collections.Counter()
    print('| suite | peer positives | lockscan right | peer negatives | lockscan right | verdicts that differ from the peer |')
    print('|---|---|---|---|---|---|')
    for suite, rows in suites.items():
        c = collections.Counter()
        for row in rows:
            k = 'pos' if row['peer'] == 'warn' else 'neg'
            c[k] += 1
            c[k + '_right'] += row['right']
            agrees = (row['peer'] == 'warn') == bool(row['expected'])
            c['differ'] += not agrees
        tot.update(c)
        print(f"| {suite} | {c['pos']} | {c['pos_right']} | {c['neg']} | {c['neg_right']} | {c['differ']} |")
    print(f"| **all** | **{tot['pos']}** | **{tot['pos_right']}** | **{tot['neg']}** | **{tot['neg_right']}** | **{tot['differ']}** |")
    # agreeing subset
    a = collections.Counter()
    for row in r['peers']:
        pos = row['peer'] == 'warn'
        if pos == bool(row['expected']):
            a['pos' if pos else 'neg'] += 1
            a[('pos' if pos else 'neg') + '_right'] += row['right']
    print(f"\nAGREE pos {a['pos']} right {a['pos_right']} neg {a['neg']} right {a['neg_right']}")
    rc = collections.Counter()
    for row in r['recall']:
        rc[row['kind']] += 1
        rc[row['kind'] + '_right'] += row['right']
    print(f"RECALL pos {rc['pos']} right {rc['pos_right']} neg {rc['neg']} right {rc['neg_right']}")
