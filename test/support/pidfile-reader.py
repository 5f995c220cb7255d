# Reads a pidfile the way monit does (open, read, close, no lock) in a tight
# loop until FILE.stop appears, then prints "reads bad", where reads counts
# the reads of an existing file and bad every one that was not exactly one
# PID and a newline. A missing file is fine: a pidfile may be absent, never
# empty or partial.
import os, re, sys

path = sys.argv[1]
reads = bad = 0
while not os.path.exists(path + ".stop"):
    try:
        with open(path) as f:
            content = f.read()
    except FileNotFoundError:
        continue
    reads += 1
    if not re.fullmatch(r"[1-9][0-9]*\n", content):
        bad += 1
print(reads, bad)
