#!/usr/bin/env python3
"""Fails when source files of the crate import each other in a circle.

Reads every `src/**/*.rs`, takes the paths it names (`use crate::..`, `use super::..`,
`use child::..` and the same paths written inline, e.g. `crate::secret::strip_query(..)`),
comments and strings left out, and resolves each to the file that defines the item,
following re-exports (`pub use`, `pub(crate) use`). A re-export is a dependency like
any `use`, except a hub's (`lib.rs`, a module with children) of its own descendants; `mod child;` is
none. Code under `#[cfg(test)]` (test modules) is left out unless `--with-tests` is
given. Prints every circle of files and every circle between the top-level modules
(`auth`, `blob`, `transport`, ...), and exits 1 if there is one.

Usage: scripts/check-cycles.py [--with-tests] [SRC_DIR]   (default: src)
"""

import re
import sys
from pathlib import Path

WITH_TESTS = "--with-tests" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--with-tests"]
SRC = Path(ARGS[0] if ARGS else "src")
TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|b?r#*"|b?"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])\'', re.S)


def strip(text):
    """The text without comments, strings and char literals (raw strings included)."""
    out, pos = [], 0
    while (m := TOKEN.search(text, pos)) is not None:
        out.append(text[pos:m.start()])
        tok = m.group()
        if tok.startswith(("r", "br")) and tok.endswith('"'):
            hashes = tok.count("#")
            end = text.index('"' + "#" * hashes, m.end()) + 1 + hashes
            pos = end
        else:
            pos = m.end()
        out.append(" ")
    out.append(text[pos:])
    return "".join(out)


def module_of(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("lib", "mod"):
        parts.pop()
    return tuple(parts)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]] (aliases and `self` handled)."""
    tree = re.sub(r"\s+", "", tree)
    depth, start, items = 0, 0, []
    if tree.endswith("}") and "{" in tree:
        head, body = tree[: tree.index("{")], tree[tree.index("{") + 1 : -1]
        for i, c in enumerate(body + ","):
            depth += c == "{"
            depth -= c == "}"
            if c == "," and depth == 0:
                if body[start:i]:
                    items.append(body[start:i])
                start = i + 1
        prefix = [p for p in head.split("::") if p]
        out = []
        for item in items:
            for sub in expand(item):
                out.append(prefix if sub == ["self"] else prefix + sub)
        return out
    return [[p.split(" as ")[0] for p in tree.split("as")[0].split("::") if p]]


TEST_ATTR = re.compile(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?$")


def test_only(text, start):
    """Whether the item starting at `start` is under `#[cfg(test)]`."""
    return TEST_ATTR.search(text[max(0, start - 80) : start]) is not None


def inline_spans(text):
    """(start, end, name) of every inline `mod name { .. }`; test modules unless wanted
    get the name None (their code is skipped)."""
    spans = []
    for m in re.finditer(r"\bmod\s+(\w+)\s*\{", text):
        depth, i = 0, m.end() - 1
        while True:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        test = test_only(text, m.start()) and not WITH_TESTS
        spans.append((m.start(), i, None if test else m.group(1)))
    return spans


def scope(mod, spans, pos):
    """The module the code at `pos` is in: the file's, plus the inline ones around it."""
    around = [n for s, e, n in spans if s <= pos <= e]
    return None if None in around else mod + tuple(around)


def absolute(mod, path):
    path, base = list(path), list(mod)
    if path[0] == "crate":
        return path[1:]
    while path and path[0] in ("super", "self"):
        if path.pop(0) == "super":
            base = base[:-1]
    return base + path


files = {module_of(p): p for p in SRC.rglob("*.rs")}
texts = {mod: strip(path.read_text()) for mod, path in files.items()}
test_files = set()
for mod, text in texts.items():
    for m in re.finditer(r"\bmod\s+(\w+)\s*;", text):
        if test_only(text, m.start()) and not WITH_TESTS:
            test_files.add(mod + (m.group(1),))
uses, reexports, children = {}, {}, {}
for mod, text in texts.items():
    spans = inline_spans(text)
    children[mod] = set(re.findall(r"\bmod\s+(\w+)\s*;", text))
    found, exported = [], []
    if any(mod[:n] in test_files for n in range(len(mod) + 1)):
        uses[mod], reexports[mod] = [], []
        continue
    for m in re.finditer(r"(\bpub(?:\([^)]*\))?\s+)?\buse\s+([^;]+);", text):
        here = scope(mod, spans, m.start())
        if here is None:
            continue
        for p in expand(m.group(2)):
            if p[0] in children[mod] and here == mod:
                p = ["self"] + p
            if p[0] in ("crate", "super", "self"):
                full = absolute(here, p)
                if m.group(1):
                    exported.append(full)
                # A re-export is a dependency too, except a hub's (`lib.rs`, a module
                # with children: `name.rs` beside `name/`) of its own descendants.
                hub = files[mod].stem in ("lib", "mod") or bool(children[mod])
                if not m.group(1) or not (hub and tuple(full[: len(mod)]) == mod):
                    found.append(full)
    for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", text):
        if (here := scope(mod, spans, m.start())) is not None:
            found.append(absolute(here, m.group(1).split("::")))
    for m in re.finditer(r"(?<![\w:])(\w+)::(\w+)", text):
        if m.group(1) in children[mod] and scope(mod, spans, m.start()) == mod:
            found.append(list(mod) + [m.group(1), m.group(2)])
    uses[mod] = found
    reexports[mod] = exported


def resolve(path, seen=()):
    """The file defining `path` (absolute segments), following re-exports."""
    for n in range(len(path), -1, -1):
        mod = tuple(path[:n])
        if mod not in files:
            continue
        rest = path[n:]
        if not rest:
            return mod
        for ex in reexports[mod]:
            if ex[-1] == rest[0] and (mod, rest[0]) not in seen:
                return resolve(ex, seen + ((mod, rest[0]),))
        return mod
    return None


edges = {m: set() for m in files}
for mod, found in uses.items():
    for path in found:
        target = resolve(path)
        if target is not None and target not in (mod, ()):
            edges[mod].add(target)


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def name(mod):
    return str(files[mod].relative_to(SRC.parent)) if mod in files else "::".join(mod)


failed = False
for comp in cycles(edges):
    failed = True
    print("files in a circle:")
    for m in comp:
        print(f"  {name(m)} -> {', '.join(name(t) for t in sorted(edges[m] & set(comp)))}")
top = {}
for m, ts in edges.items():
    for t in ts:
        if m and t and m[0] != t[0]:
            top.setdefault(m[:1], set()).add(t[:1])
for comp in cycles(top):
    failed = True
    print("top-level modules in a circle:")
    for m in comp:
        why = sorted(
            f"{name(a)} -> {name(b)}" for a, bs in edges.items() for b in bs
            if a[:1] == m and b[:1] in comp and b[:1] != m
        )
        print(f"  {m[0]}: " + "; ".join(why))
count = sum(len(t) for t in edges.values())
print(f"{len(files)} files, {count} imports between files: {'circles found' if failed else 'no circle'}")
sys.exit(1 if failed else 0)
