#!/usr/bin/env python3
"""Scores fixture cases against lockscan's JSON output with the harness's rules.

A case is a list of items in one file: `fn` (first `fn name` in the file), `Anchor@fn` (first
`fn name` after the first line containing Anchor), or `L10-12` (lines). A case is right when
every `//~` mark on its lines is met (a finding of that rule with its primary span or a label on
the line, as in tests/fixtures.rs) and no finding has its primary line there without a mark of
its rule.
"""
import json, re, sys, collections

def strip(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    i = line.find('//')
    return line if i < 0 else line[:i]

def fn_span(lines, start_idx, name):
    pat = re.compile(r'\bfn\s+' + re.escape(name) + r'\b')
    for i in range(start_idx, len(lines)):
        if pat.search(strip(lines[i])):
            depth, seen = 0, False
            for j in range(i, len(lines)):
                s = strip(lines[j])
                for ch in s:
                    if ch == '{':
                        depth += 1; seen = True
                    elif ch == '}':
                        depth -= 1
                if seen and depth == 0:
                    return (i + 1, j + 1)
                if not seen and s.rstrip().endswith(';'):
                    return (i + 1, j + 1)
            raise SystemExit(f'unbalanced fn {name}')
    raise SystemExit(f'no fn {name} after line {start_idx+1}')

def marks(lines):
    out = {}
    for i, l in enumerate(lines):
        p = l.find('//~')
        if p >= 0 and not l.lstrip().startswith('//'):
            out[i + 1] = set(re.split(r'[\s,]+', l[p + 3:].strip())) - {''}
    return out

def case_lines(path, items):
    lines = open(path).read().split('\n')
    out = set()
    for it in items:
        m = re.fullmatch(r'L(\d+)(?:-(\d+))?', it)
        if m:
            a = int(m.group(1)); b = int(m.group(2) or a)
            out.update(range(a, b + 1)); continue
        start = 0
        if '@' in it:
            anchor, it = it.split('@')
            start = next(i for i, l in enumerate(lines) if anchor in l)
        a, b = fn_span(lines, start, it)
        out.update(range(a, b + 1))
    return out, marks(lines)

def evaluate(diags, root, path, items):
    rel = path
    lines, mk = case_lines(root + '/' + path, items)
    missed, unexpected, met = [], [], []
    for ln in sorted(lines):
        for rule in sorted(mk.get(ln, ())):
            ok = any(d['rule'] == rule and any(l['file'] == rel and l['line'] == ln for l in [d] + d['labels']) for d in diags)
            (met if ok else missed).append(f'{ln} {rule}')
    for d in diags:
        if d['file'] == rel and d['line'] in lines and d['rule'] not in mk.get(d['line'], ()):
            unexpected.append(f"{d['line']} {d['rule']}")
    expected = sorted({r for ln in lines for r in mk.get(ln, ())})
    return expected, missed, unexpected
