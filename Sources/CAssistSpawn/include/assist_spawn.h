#ifndef ASSIST_SPAWN_H
#define ASSIST_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (both NULL-terminated) as a child process whose standard
/// output is `output_fd` and standard error `error_fd` (standard input is /dev/null), in a new
/// process group whose id is the child's pid (so `kill(-pid, …)` reaches what it starts too).
///
/// On Linux the child gets `PR_SET_PDEATHSIG(SIGTERM)`, so it is signalled when this process ends,
/// however it ends (SIGKILL included). Because the kernel ties that signal to the *thread* that
/// forked, every fork happens on one private thread that lives as long as the process.
/// The child also starts with an empty signal mask and default signal dispositions.
///
/// Returns the child's pid, or -1 with `*error_number` set to the failing call's errno and
/// `*failed_call` to its name (for example "execve" when the program could not be run).
pid_t assist_spawn(const char *path, char *const argv[], char *const envp[], int output_fd, int error_fd,
                   int *error_number, const char **failed_call);

/// Starts `path` as a process that outlives this one: a new session (no controlling terminal, its
/// own process group), reparented to init (a middle child forks it and exits), no death signal,
/// standard input /dev/null and standard output and error `output_fd`, an empty signal mask and
/// default dispositions. Returns its pid, or -1 with `*error_number` and `*failed_call` set (for
/// example "execve" when the program could not be run).
pid_t assist_spawn_detached(const char *path, char *const argv[], char *const envp[], int output_fd,
                            int *error_number, const char **failed_call);

#endif
