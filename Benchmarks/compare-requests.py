#!/usr/bin/env python3
"""Old and new assist builds side by side, each on its own copy of a repository (so neither sees the
other's index), alternated in one loop: `assist index` (nothing changed), `assist classify` and
`assist ask --context-only --budget 8000`, with `git status --porcelain` measured in the same loop.

Usage: Benchmarks/compare-requests.py OLD_ASSIST NEW_ASSIST OLD_REPO NEW_REPO QUESTION [RUNS]
Prints medians, new/old and new/git status. Copy a repository with `cp -a`, then run
`git update-index --refresh` in the copy (its stat cache no longer matches otherwise)."""
import os, subprocess, sys, time, statistics
ENV = dict(os.environ, ASSIST_ROUTING_CLASSIFIER_MODEL="false", ASSIST_LOG_LEVEL="error", LC_ALL="C")
old, new, olddir, newdir, question = sys.argv[1:6]
runs = int(sys.argv[6]) if len(sys.argv) > 6 else 5
def t(cmd, cwd):
    s = time.monotonic(); subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); return time.monotonic() - s
for b, d in ((old, olddir), (new, newdir)): t([b, "index"], d)
rows = {"git status": [], "true": []}
cmds = {"index, nothing changed": ["index"], "classify": ["classify", question], "ask --context-only 8000": ["ask", question, "--context-only", "--budget", "8000"]}
res = {(k, w): [] for k in cmds for w in ("old", "new")}
for _ in range(runs):
    rows["git status"].append(t(["git", "status", "--porcelain"], newdir))
    rows["true"].append(t(["true"], newdir))
    for k, c in cmds.items():
        res[(k, "old")].append(t([old] + c, olddir))
        res[(k, "new")].append(t([new] + c, newdir))
gs = statistics.median(rows["git status"])
print(f"git status {gs:.3f} s, true {statistics.median(rows['true']):.3f} s, runs {runs}")
print("| request | old | new | new/old | new/git status |\n| --- | ---: | ---: | ---: | ---: |")
for k in cmds:
    o, n = statistics.median(res[(k, 'old')]), statistics.median(res[(k, 'new')])
    print(f"| {k} | {o:.3f} s | {n:.3f} s | {n/o:.2f} | {n/gs:.1f} |")
