#ifndef CSKIFF_RUNTIME_H
#define CSKIFF_RUNTIME_H
#include <sys/types.h>

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process.
int skiff_set_child_subreaper(void);
/// pipe2(fds, O_CLOEXEC).
int skiff_pipe_cloexec(int fds[2]);
/// Spawns path with argv/envp and the given stdio descriptors (dup2'd to 0, 1, 2).
/// Returns the pid, or -errno.
pid_t skiff_spawn(const char *path, char *const argv[], char *const envp[], int in, int out, int err);
/// pidfd_open(pid, 0): a descriptor that polls readable once the process has exited (also a
/// process that is not a child). Returns it, or -errno.
int skiff_pidfd_open(pid_t pid);
/// pidfd_getfd(pidfd, targetfd, 0): a close-on-exec duplicate of another process's descriptor.
/// Returns it, or -errno.
int skiff_pidfd_getfd(int pidfd, int targetfd);
/// epoll_create1(EPOLL_CLOEXEC). Returns the descriptor, or -errno.
int skiff_epoll_create(void);
/// Adds `fd` to the epoll set for reading, with `fd` itself as the event's data. 0 or -errno.
int skiff_epoll_add(int epfd, int fd);
/// Removes `fd` from the epoll set. 0 or -errno.
int skiff_epoll_remove(int epfd, int fd);
/// Waits up to `timeout_ms` (-1: no limit) and stores the ready descriptors in `fds` (at most
/// `max`). Returns their count, or -errno.
int skiff_epoll_ready(int epfd, int *fds, int max, int timeout_ms);
#endif
