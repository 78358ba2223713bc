#define _GNU_SOURCE
#include "CSkiffRuntime.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int skiff_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int skiff_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

pid_t skiff_spawn(const char *path, char *const argv[], char *const envp[], int in, int out, int err) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    /* Descriptors other threads opened without O_CLOEXEC (a file being written, such as a
       binary copied into a rootfs) must not leak into the child: it would keep them open
       across exec, and exec of that file elsewhere fails with ETXTBSY. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -rc;
}

int skiff_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int skiff_pidfd_getfd(int pidfd, int targetfd) {
    long fd = syscall(SYS_pidfd_getfd, pidfd, targetfd, 0);
    return fd < 0 ? -errno : (int)fd;
}

int skiff_epoll_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int skiff_epoll_add(int epfd, int fd) {
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int skiff_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

int skiff_epoll_ready(int epfd, int *fds, int max, int timeout_ms) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
