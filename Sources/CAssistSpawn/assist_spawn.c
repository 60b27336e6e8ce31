#define _GNU_SOURCE
#include "assist_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

// One request at a time is handed to the spawner thread; `lock` protects every field below.
struct spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    int output_fd;
    int error_fd;
    pid_t pid;
    int error_number;
    const char *failed_call;
    int done;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t request_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t request_done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER; // one caller at a time
static struct spawn_request *pending = NULL;
static int spawner_started = 0;
static int spawner_error = 0;

static void child_fail(int report_fd, int code) {
    (void)!write(report_fd, &code, sizeof code);
    _exit(127);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
static void child(const struct spawn_request *request, pid_t parent, int report_fd) {
#ifdef __linux__
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) child_fail(report_fd, errno);
    // The parent may have died before prctl: then nobody would signal us.
    if (getppid() != parent) _exit(127);
#endif
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    for (int signal_number = 1; signal_number < 32; signal_number++) {
        if (signal_number != SIGKILL && signal_number != SIGSTOP) signal(signal_number, SIG_DFL);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0) child_fail(report_fd, errno);
    if (dup2(request->output_fd, 1) < 0 || dup2(request->error_fd, 2) < 0) child_fail(report_fd, errno);
    // Close every other descriptor except the report pipe (close-on-exec).
    for (int fd = 3; fd < 1024; fd++) {
        if (fd != report_fd) close(fd);
    }
    setpgid(0, 0);
    execve(request->path, request->argv, request->envp);
    child_fail(report_fd, errno);
}

static int cloexec_pipe(int descriptors[2]) {
#ifdef __linux__
    return pipe2(descriptors, O_CLOEXEC);
#else
    int piped = pipe(descriptors);
    if (piped == 0) {
        fcntl(descriptors[0], F_SETFD, FD_CLOEXEC);
        fcntl(descriptors[1], F_SETFD, FD_CLOEXEC);
    }
    return piped;
#endif
}

static void perform(struct spawn_request *request) {
    int report[2];
    int piped = cloexec_pipe(report);
    if (piped != 0) {
        request->pid = -1;
        request->error_number = errno;
        request->failed_call = "pipe2";
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        child(request, parent, report[1]);
    }
    close(report[1]);
    if (pid < 0) {
        request->pid = -1;
        request->error_number = errno;
        request->failed_call = "fork";
        close(report[0]);
        return;
    }
    int code = 0;
    ssize_t count;
    do {
        count = read(report[0], &code, sizeof code);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count > 0) {
        // The child failed before or in execve; reap it.
        waitpid(pid, NULL, 0);
        request->pid = -1;
        request->error_number = code;
        request->failed_call = "execve";
        return;
    }
    request->pid = pid;
}

static void *spawner(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (pending == NULL) pthread_cond_wait(&request_ready, &lock);
        struct spawn_request *request = pending;
        pending = NULL;
        perform(request);
        request->done = 1;
        pthread_cond_broadcast(&request_done);
    }
    return NULL;
}

static int start_spawner(void) {
    if (spawner_started) return 0;
    if (spawner_error) return spawner_error;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    // Block every signal on the spawner thread, so that process signals go to other threads.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int rc = pthread_create(&thread, &attributes, spawner, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    if (rc != 0) {
        spawner_error = rc;
        return rc;
    }
    spawner_started = 1;
    return 0;
}

pid_t assist_spawn(const char *path, char *const argv[], char *const envp[], int output_fd, int error_fd,
                   int *error_number, const char **failed_call) {
    struct spawn_request request;
    memset(&request, 0, sizeof request);
    request.path = path;
    request.argv = argv;
    request.envp = envp;
    request.output_fd = output_fd;
    request.error_fd = error_fd;

    pthread_mutex_lock(&callers);
    pthread_mutex_lock(&lock);
    int rc = start_spawner();
    if (rc != 0) {
        pthread_mutex_unlock(&lock);
        pthread_mutex_unlock(&callers);
        *error_number = rc;
        *failed_call = "pthread_create";
        return -1;
    }
    pending = &request;
    pthread_cond_signal(&request_ready);
    while (!request.done) pthread_cond_wait(&request_done, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&callers);
    *error_number = request.error_number;
    *failed_call = request.failed_call;
    return request.pid;
}

pid_t assist_spawn_detached(const char *path, char *const argv[], char *const envp[], int output_fd,
                            int *error_number, const char **failed_call) {
    // `report` carries an errno from the grandchild (or the middle child) when it fails before or
    // in execve; `named` carries the grandchild's pid from the middle child.
    int report[2], named[2];
    if (cloexec_pipe(report) != 0) {
        *error_number = errno;
        *failed_call = "pipe2";
        return -1;
    }
    if (cloexec_pipe(named) != 0) {
        *error_number = errno;
        *failed_call = "pipe2";
        close(report[0]);
        close(report[1]);
        return -1;
    }
    pid_t middle = fork();
    if (middle == 0) {
        // The middle child: a new session, then the grandchild, then it exits at once, so the
        // grandchild belongs to init and no terminal or process group of ours reaches it.
        close(report[0]);
        close(named[0]);
        if (setsid() < 0) child_fail(report[1], errno);
        pid_t grandchild = fork();
        if (grandchild < 0) child_fail(report[1], errno);
        if (grandchild > 0) {
            (void)!write(named[1], &grandchild, sizeof grandchild);
            _exit(0);
        }
        close(named[1]);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        for (int signal_number = 1; signal_number < 32; signal_number++) {
            if (signal_number != SIGKILL && signal_number != SIGSTOP) signal(signal_number, SIG_DFL);
        }
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0 || dup2(null_fd, 0) < 0) child_fail(report[1], errno);
        if (dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) child_fail(report[1], errno);
        for (int fd = 3; fd < 1024; fd++) {
            if (fd != report[1]) close(fd);
        }
        execve(path, argv, envp);
        child_fail(report[1], errno);
    }
    close(report[1]);
    close(named[1]);
    if (middle < 0) {
        *error_number = errno;
        *failed_call = "fork";
        close(report[0]);
        close(named[0]);
        return -1;
    }
    while (waitpid(middle, NULL, 0) < 0 && errno == EINTR) {}
    pid_t grandchild = -1;
    ssize_t count;
    do {
        count = read(named[0], &grandchild, sizeof grandchild);
    } while (count < 0 && errno == EINTR);
    close(named[0]);
    int code = 0;
    do {
        count = read(report[0], &code, sizeof code);
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count > 0) {
        *error_number = code;
        *failed_call = grandchild > 0 ? "execve" : "setsid/fork";
        return -1;
    }
    if (grandchild <= 0) {
        *error_number = ECHILD;
        *failed_call = "fork";
        return -1;
    }
    return grandchild;
}
