# Reads a pidfile the way monit does (open, read, close, no lock) in a tight
# loop until FILE.stop appears, then prints "reads bad", where bad counts
# every read that was not exactly one PID and a newline.
import os, re, sys

path = sys.argv[1]
reads = bad = 0
while not os.path.exists(path + ".stop"):
    with open(path) as f:
        content = f.read()
    reads += 1
    if not re.fullmatch(r"[1-9][0-9]*\n", content):
        bad += 1
print(reads, bad)
