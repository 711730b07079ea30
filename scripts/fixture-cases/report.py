#!/usr/bin/env python3
"""Evaluates every case of cases.py against a lockscan JSON report; prints JSON results."""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import case_lines, evaluate
import cases

root, report = sys.argv[1], sys.argv[2]
diags = json.load(open(report))['diagnostics']

def first_line(path, items):
    lines, _ = case_lines(root + '/' + path, items[:1])
    return min(lines)

out = {'peers': [], 'recall': []}
for suite, case, what, peer, path, items in cases.PEERS:
    exp, missed, unexp = evaluate(diags, root, path, items)
    out['peers'].append(dict(suite=suite, case=case, what=what, peer=peer, path=path,
        line=first_line(path, items), expected=exp, missed=missed, unexpected=unexp,
        right=not missed and not unexp))
for shape, case, path, items, kind in cases.RECALL:
    exp, missed, unexp = evaluate(diags, root, path, items)
    if (kind == 'pos') != bool(exp):
        raise SystemExit(f'{case}: kind {kind} but marks {exp}')
    out['recall'].append(dict(shape=shape, case=case, path=path, kind=kind,
        line=first_line(path, items), expected=exp, missed=missed, unexpected=unexp,
        right=not missed and not unexp))
json.dump(out, sys.stdout, indent=1)
