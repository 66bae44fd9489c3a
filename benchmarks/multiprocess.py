"""Questions in one process while another ingests many files into the same embedded store.

    python benchmarks/multiprocess.py --data-dir /tmp/mp [--code /work/main] [--files 300] [--no-resident]

Three kinds of real processes on one data directory (issue 18, item 1):
* the resident reader: one warmed-up assistant (as ``python -m ui`` holds one) asking, in a loop,
  "How deep is well N?" for the wells already reported stored, and a corpus question;
* the writer: ``assistant ingest <folder of --files small files>``;
* short readers: ``assistant ask`` processes one after another while the writer runs.

It prints the failures: a resident answer that errs, or that misses a well the writer reported
stored more than 2 s before the question; short readers that exit non-zero with a traceback
rather than an ``error:`` line; and what the writer ended with. ``--code`` runs another checkout's
code (e.g. main's, to measure before a change).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

RESIDENT = r'''
import json, sys, time, os
from assistant import build_assistant, load_settings
assistant = build_assistant(load_settings()).warm_up()
stored_log, stop, out = sys.argv[1], sys.argv[2], open(sys.argv[3], "w")
print("ready", flush=True)
n = 0
while not os.path.exists(stop):
    stored = [line.split()[0] for line in open(stored_log) if line.strip()] if os.path.exists(stored_log) else []
    well = stored[n % len(stored)] if stored and n % 2 else ""
    question = f"How deep is well {int(well.split('-')[1])} of the oasis?" if well else "What does the Counter ISIS Finance Group focus on?"
    started = time.time()
    try:
        answer = assistant.ask(question)
        record = {"well": well, "started": started, "cited": [c.document_id for c in answer.citations]}
    except Exception as error:
        record = {"well": well, "started": started, "error": f"{type(error).__name__}: {error}"[:300]}
    out.write(json.dumps(record) + "\n"); out.flush()
    n += 1
'''


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--no-resident", action="store_true")
    args = parser.parse_args()
    work = args.data_dir.resolve()
    folder = work / "wells"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(args.files):
        (folder / f"well {n:03d}.txt").write_text(f"Well {n} of the oasis is {n * 3 + 20} metres deep.\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(work / "data"), "ASSISTANT_MODEL_DIR": str(args.code / ".data" / "models"),
            "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(args.code)}
    run = {"env": env, "cwd": args.code, "text": True}
    subprocess.run([sys.executable, "-m", "assistant", "build"], check=True, capture_output=True, **run)

    stored_log, stop, answers = work / "stored.txt", work / "stop", work / "answers.jsonl"
    for path in (stored_log, stop, answers):
        path.unlink(missing_ok=True)
    resident = None
    if not args.no_resident:
        resident = subprocess.Popen([sys.executable, "-c", RESIDENT, str(stored_log), str(stop), str(answers)],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **run)
        assert resident.stdout.readline().strip() == "ready"

    started = time.time()
    writer = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(folder)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, **run)
    stored_at: dict[str, float] = {}

    def follow() -> None:
        with open(stored_log, "w") as log:
            for line in writer.stdout:
                found = re.match(r"(?:ingested|unchanged): (well-\d+)", line)
                if found:
                    stored_at[found.group(1)] = time.time()
                    log.write(f"{found.group(1)} {time.time()}\n")
                    log.flush()

    follower = threading.Thread(target=follow)
    follower.start()
    short = []
    while writer.poll() is None:
        ask = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", "How deep is well 7 of the oasis?"],
                             capture_output=True, **run)
        short.append(ask)
    follower.join()
    writer_stderr = writer.stderr.read()
    time.sleep(3)  # the resident reader's questions after the ingest count too
    stop.write_text("")
    if resident:
        resident.wait(timeout=120)

    records = [json.loads(line) for line in answers.read_text().splitlines()] if answers.exists() else []
    errors = [r for r in records if "error" in r]
    missed = [r for r in records if "error" not in r and r["well"] and r["started"] > stored_at.get(r["well"], 1e18) + 2
              and r["well"] not in r["cited"]]
    tracebacks = [a for a in short if a.returncode and "Traceback" in a.stderr]
    clear = [a for a in short if a.returncode and "Traceback" not in a.stderr]
    print(json.dumps({
        "code": str(args.code), "files": args.files, "resident": not args.no_resident,
        "writer_exit": writer.returncode, "writer_stored": len(stored_at), "writer_seconds": round(time.time() - started, 1),
        "writer_error": writer_stderr.strip().splitlines()[-1][:400] if writer.returncode else "",
        "resident_questions": len(records), "resident_errors": len(errors), "resident_missed_stored_wells": len(missed),
        "resident_error_kinds": sorted({e["error"][:120] for e in errors})[:5],
        "short_asks": len(short), "short_ok": sum(1 for a in short if a.returncode == 0),
        "short_clear_errors": len(clear), "short_tracebacks": len(tracebacks),
        "short_error_example": (clear or tracebacks)[0].stderr.strip().splitlines()[-1][:300] if clear or tracebacks else "",
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
