#!/usr/bin/env python3
"""Request latency over the index, measured from outside the process, next to baselines of the same run.

    Benchmarks/bench-requests.py --assist BIN [--old BIN] [--scratch DIR] [--files N] [--runs K] [--skip-generated]

For each repository (swift-nio 2.101.3, swift-collections 1.6.0, swift-syntax 603.0.1, cloned into the
scratch folder, and a generated repository of N Swift files), with the index built:

- `git status` (the floor of a refresh) and `true` (a process's own start),
- `assist index` with nothing changed, and after one file changed (its reported database seconds too),
- `assist classify Q` as a new process, `assist ask Q --context-only --budget 8000`,
- `assist/classify` in a warm `assist serve` (p50 and p90 of 20 calls, after one warm-up call),
- the cold index (`.git/assist/` removed) with its peak RSS, and the database's size on disk.

With `--old BIN` the same commands run with that binary (the code before the index database, built by
scripts/bench-requests) in the same run, and the ratios are printed. The local model's second opinion
is turned off (ASSIST_ROUTING_CLASSIFIER_MODEL=false): these figures are the index's, not a model's.
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

QUESTION = "How do Channel and EventLoop share work?"
QUESTIONS = {
    "swift-nio": "How do Channel and EventLoop share work?",
    "swift-collections": "How does Deque grow its storage when it is full?",
    "swift-syntax": "How does SyntaxRewriter visit and replace child nodes?",
    "generated": "How does the scheduler retry a failed request with a timeout?",
}
ENV = dict(os.environ, ASSIST_ROUTING_CLASSIFIER_MODEL="false", ASSIST_LOG_LEVEL="error", LC_ALL="C")


def run(command, cwd, check=True, capture=False):
    start = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=ENV, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - start
    if check and result.returncode != 0:
        sys.exit(f"bench-requests: {' '.join(command)} failed in {cwd}: {result.stderr[-2000:]}")
    return seconds, result.stdout if capture else ""


def timed(command, cwd, runs):
    return statistics.median(run(command, cwd)[0] for _ in range(runs))


def clone(url, tag, scratch):
    name = url.rstrip("/").split("/")[-1]
    path = os.path.join(scratch, f"{name}-{tag}")
    if not os.path.isdir(os.path.join(path, ".git")):
        os.makedirs(scratch, exist_ok=True)
        subprocess.run(["git", "-c", "advice.detachedHead=false", "clone", "--quiet", "--depth", "1", "--branch", tag, url, path], check=True)
    return path


WORDS = ("request scheduler retry timeout buffer channel decoder encoder session token cache "
         "queue worker handler parser header body stream socket event loop promise future "
         "metric counter gauge logger record batch frame codec pool lease").split()


def generate(path, files):
    """A deterministic repository of `files` small Swift files in nested folders."""
    if os.path.isdir(os.path.join(path, ".git")):
        return path
    rng = random.Random(files)
    os.makedirs(path, exist_ok=True)
    for i in range(files):
        folder = os.path.join(path, "Sources", f"M{i % 50}", f"D{(i // 50) % 40}")
        os.makedirs(folder, exist_ok=True)
        a, b, c = rng.sample(WORDS, 3)
        name = f"{a.capitalize()}{b.capitalize()}{i}"
        other = f"{c.capitalize()}{rng.choice(WORDS).capitalize()}{rng.randrange(max(1, files))}"
        with open(os.path.join(folder, name + ".swift"), "w") as out:
            out.write(f"/// The {a} {b} of part {i}.\npublic struct {name} {{\n"
                      f"    var {c}: Int = {i}\n"
                      f"    public func {a}{b.capitalize()}(_ {c}: Int) -> Int {{ {c} + {i % 7} }}\n"
                      f"    func use(_ value: {other}?) -> Bool {{ value == nil }}\n}}\n")
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    subprocess.run(["git", "add", "."], cwd=path, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "generated"], cwd=path, check=True)
    return path


def peak_rss_of(command, cwd):
    """Wall seconds and the peak RSS (MiB) of one child process."""
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvpe(command[0], command, ENV)
    start = time.monotonic()
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - start
    if status != 0:
        sys.exit(f"bench-requests: {' '.join(command)} failed in {cwd}")
    return seconds, usage.ru_maxrss / 1024


def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            raise RuntimeError("assist serve closed its output")
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def daemon_session(assist, root, question, target, calls=20, saves=10):
    """In one warm daemon: p50 and p90 seconds of assist/classify (after a warm-up call), and p50
    and p90 of a saved file reaching the index: from writing one file and sending didSave until
    assist/index/status counts the declaration it added (or removed)."""
    process = subprocess.Popen([assist, "serve"], cwd=root, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    next_id = [0]

    def request(method, params):
        next_id[0] += 1
        process.stdin.write(frame({"jsonrpc": "2.0", "id": next_id[0], "method": method, "params": params}))
        process.stdin.flush()
        while True:
            message = read_message(process.stdout)
            if message.get("id") == next_id[0]:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    try:
        request("initialize", {"processId": os.getpid(), "rootUri": "file://" + root, "capabilities": {}})
        process.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        request("assist/classify", {"instruction": question})
        times = []
        for _ in range(calls):
            start = time.monotonic()
            request("assist/classify", {"instruction": question})
            times.append(time.monotonic() - start)
        base = request("assist/index/status", {})["declarations"]
        original = open(target, "rb").read()
        uri = "file://" + target
        saved = []
        try:
            for round in range(saves):
                for content, expected in ((original + b"\npublic struct BenchSaved%d {}\n" % round, base + 1), (original, base)):
                    start = time.monotonic()
                    with open(target, "wb") as out:
                        out.write(content)
                    process.stdin.write(frame({"jsonrpc": "2.0", "method": "textDocument/didSave",
                                               "params": {"textDocument": {"uri": uri}}}))
                    process.stdin.flush()
                    while request("assist/index/status", {})["declarations"] != expected:
                        if time.monotonic() - start > 60:
                            raise RuntimeError("a saved file did not reach the index within 60 s")
                        time.sleep(0.001)
                    saved.append(time.monotonic() - start)
        finally:
            with open(target, "wb") as out:
                out.write(original)
        request("shutdown", None)
        process.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
        process.stdin.flush()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    times.sort()
    saved.sort()
    return (times[len(times) // 2], times[int(len(times) * 0.9)]), (saved[len(saved) // 2], saved[int(len(saved) * 0.9)])


def database_seconds(assist, root):
    _, out = run([assist, "index", "--json"], root, capture=True)
    result = json.loads(out)
    return result["timings"].get("database", 0.0), result.get("database", {})


def measure(label, assist, root, question, runs, cold=True):
    figures = {}
    assist_dir = os.path.join(root, ".git", "assist")
    if cold:
        shutil.rmtree(assist_dir, ignore_errors=True)
        figures["cold index"], figures["cold peak RSS MiB"] = peak_rss_of([assist, "index"], root)
    else:
        run([assist, "index"], root)
    figures["index, nothing changed"] = timed([assist, "index"], root, runs)
    figures["classify (new process)"] = timed([assist, "classify", question], root, runs)
    figures["ask --context-only 8000"] = timed([assist, "ask", question, "--context-only", "--budget", "8000"], root, runs)
    swift_files = sorted(p for p in run(["git", "ls-files", "*.swift"], root, capture=True)[1].split("\n") if p)
    target = os.path.join(root, swift_files[len(swift_files) // 2])
    classify, saved = daemon_session(assist, root, question, target)
    figures["daemon classify p50"], figures["daemon classify p90"] = classify
    figures["daemon: saved file indexed p50"], figures["daemon: saved file indexed p90"] = saved
    # One file changed: the refresh's wall time and the database's share.
    original = open(target, "rb").read()
    try:
        with open(target, "ab") as out:
            out.write(b"\n// touched by bench-requests\n")
        figures["index, one file changed"] = run([assist, "index"], root)[0]
    finally:
        with open(target, "wb") as out:
            out.write(original)
    run([assist, "index"], root)
    with open(target, "ab") as out:
        out.write(b"\n// touched again\n")
    seconds, database = database_seconds(assist, root)
    with open(target, "wb") as out:
        out.write(original)
    run([assist, "index"], root)
    figures["one-file refresh: database s"] = seconds
    if database.get("bytes") is not None:
        figures["database MiB"] = database["bytes"] / 1048576
    cache = os.path.join(assist_dir, "index-swift.bin")
    if os.path.exists(cache):
        figures["cache file MiB"] = os.path.getsize(cache) / 1048576
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assist", required=True)
    parser.add_argument("--old")
    parser.add_argument("--scratch", default=".assist-cache")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--only", help="comma-separated repositories: swift-nio,swift-collections,swift-syntax,generated")
    args = parser.parse_args()
    scratch = os.path.abspath(args.scratch)
    args.assist = os.path.abspath(args.assist)
    if args.old:
        args.old = os.path.abspath(args.old)
    repositories = {
        "swift-nio": lambda: clone("https://github.com/apple/swift-nio", "2.101.3", scratch),
        "swift-collections": lambda: clone("https://github.com/apple/swift-collections", "1.6.0", scratch),
        "swift-syntax": lambda: clone("https://github.com/swiftlang/swift-syntax", "603.0.1", scratch),
        "generated": lambda: generate(os.path.join(scratch, f"generated-{args.files}"), args.files),
    }
    wanted = args.only.split(",") if args.only else list(repositories)
    if args.skip_generated and "generated" in wanted:
        wanted.remove("generated")
    for name in wanted:
        root = repositories[name]()
        files = len([p for p in run(["git", "ls-files"], root, capture=True)[1].split("\n") if p])
        git_status = timed(["git", "status", "--porcelain"], root, args.runs)
        start = timed(["true"], root, args.runs)
        print(f"\n## {name} ({files} files)  git status {git_status:.3f} s, process start (true) {start:.3f} s")
        question = QUESTIONS[name]
        new = measure("new", args.assist, root, question, args.runs)
        old = None
        if args.old and name != "generated":
            old = measure("old", args.old, root, question, args.runs)
            run([args.assist, "index"], root)
        print(f"| measure | {'old | ' if old else ''}new | {'new/old | ' if old else ''}new/git status |")
        print(f"| --- | {'---: | ' if old else ''}---: | {'---: | ' if old else ''}---: |")
        for key, value in new.items():
            unit = "" if "MiB" in key else " s"
            row = f"| {key} | "
            if old:
                before = old.get(key)
                row += (f"{before:.3f}{unit} | " if before is not None else "– | ")
            row += f"{value:.3f}{unit} | "
            if old:
                before = old.get(key)
                row += (f"{value / before:.2f} | " if before else "– | ")
            row += (f"{value / git_status:.1f} |" if unit else "– |")
            print(row)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
