/*
 * bin/sipid of the release tarball: starts the sipid runtime
 * (libexec/sipid, a Bun executable) with an environment it cannot misread.
 *
 * A BOSH job's ctl script may export variables meant for its own program
 * before it calls sipid: NODE_OPTIONS, BUN_OPTIONS (which can load code or
 * open a debugger), BUN_BE_BUN (which makes a Bun executable act as the bun
 * CLI), BUN_JSC_* (engine options; an unknown one ends the process),
 * LD_PRELOAD, GLIBC_TUNABLES... The runtime reads them before any of
 * sipid's code runs, so only a program that runs first can keep them away.
 * This one renames each of them to SIPID_HIDDEN_<NAME> (so `sipid run` can
 * hand the job its environment unchanged), sets the engine options that
 * keep the runtime single-threaded (near PID exhaustion a thread it cannot
 * create would abort it mid-stop), and execs the runtime: same PID, same
 * arguments.
 *
 * Static, with no library but libc: it runs on any Linux, whatever
 * LD_LIBRARY_PATH or LD_PRELOAD say.
 *
 * The runtime also refuses to start in a working directory that was
 * deleted, which a script can be left in (its job's old package directory
 * removed by an update): then this moves to / and says so in
 * SIPID_CWD_DELETED, so sipid refuses a relative path instead of reading it
 * from /. A caller's own SIPID_CWD_DELETED is hidden like the rest: only
 * this launcher says so.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Variables whose names start so are meant for some runtime or for the dynamic loader, never for
 * sipid. A name that already starts with the mark is hidden once more, so that `sipid run`, which
 * takes one mark off every name, gives the job exactly what sipid was given.
 */
static const char *const hidden_prefixes[] = {"BUN_", "JSC_", "NODE_", "MIMALLOC_", "LD_", "MALLOC_", "GLIBC_TUNABLES=", "SIPID_HIDDEN_", "SIPID_CWD_DELETED=", NULL};

/*
 * What the runtime runs with: JavaScriptCore without its helper threads (see stopJob near PID
 * exhaustion). src/run/environment.ts's runtimeSettings lists them too, to take them out again.
 */
static const char *const runtime_settings[] = {
    "BUN_JSC_useConcurrentJIT=0",
    "BUN_JSC_useConcurrentGC=0",
    "BUN_JSC_numberOfGCMarkers=1",
    "BUN_JSC_useWarmUpMarkedBlocks=0",
    "BUN_JSC_useBaselineJIT=0",
    NULL,
};

static const char hidden_mark[] = "SIPID_HIDDEN_";
static const char cwd_deleted[] = "SIPID_CWD_DELETED=1";

static int is_hidden(const char *entry) {
    for (const char *const *prefix = hidden_prefixes; *prefix != NULL; prefix++) {
        if (strncmp(entry, *prefix, strlen(*prefix)) == 0) return 1;
    }
    return 0;
}

/* One line on stderr in sipid's words, and exit 5 (a system error), as the runtime would. */
static int fail(const char *what, const char *path) {
    fprintf(stderr, "sipid: %s %s: %s; unpack the whole release tarball and run bin/sipid from it\n", what, path, strerror(errno));
    return 5;
}

int main(int argc, char **argv, char **envp) {
    (void)argc;
    char self[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length < 0) return fail("cannot find itself at", "/proc/self/exe");
    self[length] = '\0';
    /* .../bin/sipid -> .../libexec/sipid */
    char *slash = strrchr(self, '/');
    if (slash != NULL) *slash = '\0';
    slash = strrchr(self, '/');
    if (slash != NULL) *slash = '\0';
    char runtime[PATH_MAX];
    if (snprintf(runtime, sizeof runtime, "%s/libexec/sipid", self) >= (int)sizeof runtime) {
        errno = ENAMETOOLONG;
        return fail("cannot run", self);
    }

    char here[PATH_MAX];
    int moved = getcwd(here, sizeof here) == NULL && errno == ENOENT && chdir("/") == 0;

    size_t count = 0;
    while (envp[count] != NULL) count++;
    char **environment = calloc(count + sizeof runtime_settings / sizeof *runtime_settings + 1, sizeof *environment);
    if (environment == NULL) return fail("cannot run", runtime);
    size_t used = 0;
    for (size_t index = 0; index < count; index++) {
        if (!is_hidden(envp[index])) {
            environment[used++] = envp[index];
            continue;
        }
        char *renamed = malloc(sizeof hidden_mark + strlen(envp[index]));
        if (renamed == NULL) return fail("cannot run", runtime);
        strcpy(renamed, hidden_mark);
        strcat(renamed, envp[index]);
        environment[used++] = renamed;
    }
    for (const char *const *setting = runtime_settings; *setting != NULL; setting++) environment[used++] = (char *)*setting;
    if (moved) environment[used++] = (char *)cwd_deleted;
    environment[used] = NULL;

    execve(runtime, argv, environment);
    return fail("cannot run", runtime);
}
